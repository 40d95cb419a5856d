"""run and exec with a terminal and no --console-socket: berth itself holds the pty master
and connects it to the caller's terminal (issue 3: `run` attaches the pty to the caller's
tty)."""
import os
import pty
import select
import time


def drive(argv, send=b"", timeout=15):
    """Run argv on a fresh pty; type `send`; return (exit code, everything printed)."""
    pid, master = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    out = b""
    deadline = time.time() + timeout
    sent = False
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if master in r:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        if not sent and send and b"READY" in out:
            os.write(master, send)
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_run_with_terminal_attaches_to_the_callers_tty(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty; echo READY; read x; "
                "echo got-$x; exit 7"], terminal=True)
    code, out = drive(berth.cmd("run", "-b", b.path, cid), send=b"hello\r")
    assert code == 7, out
    assert "/dev/pts/0" in out
    assert "stdin-is-a-tty" in out
    assert "got-hello" in out


def test_exec_with_tty_attaches_to_the_callers_tty(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    code, out = drive(berth.cmd("exec", "-t", cid, "/bin/sh", "-c",
                                "test -t 1 && echo out-is-a-tty; exit 3"))
    assert code == 3, out
    assert "out-is-a-tty" in out
