"""process.terminal: the pty comes from the container's devpts, the slave is the controlling
tty, stdio and /dev/console, consoleSize applies, and the master reaches --console-socket
over SCM_RIGHTS before `create` returns (issue 3)."""
import os
import socket
import threading

from rootfs_helpers import run


def create_with_console(berth, b, cid, tmp_path):
    """`berth create --console-socket`; returns the received pty master fd."""
    path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = {}

    def accept():
        conn, _ = srv.accept()
        with conn:
            msg, fds, _, _ = socket.recv_fds(conn, 4096, 1)
            got["name"], got["fds"] = msg, fds

    t = threading.Thread(target=accept)
    t.start()
    try:
        b.save()
        berth.run("create", "--console-socket", path, "-b", b.path, cid)
        t.join(10)
    finally:
        srv.close()
    assert len(got.get("fds", [])) == 1, "no pty master received before create returned"
    return got["fds"][0]


def read_all(fd):
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO once the slave side is closed
            break
        if not chunk:
            break
        out += chunk
    return out.decode()


def test_terminal_master_reaches_the_console_socket(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sh", "-c",
                "tty; stty size; stat -c '%t:%T' /dev/console; readlink /proc/self/fd/0;"
                "grep -c ' /dev/console ' /proc/self/mountinfo"], terminal=True)
    b.config["process"]["consoleSize"] = {"height": 33, "width": 101}
    master = create_with_console(berth, b, cid, tmp_path)
    try:
        berth.run("start", cid)
        out = read_all(master).replace("\r", "").split("\n")
    finally:
        os.close(master)
    assert out[0].startswith("/dev/pts/")
    assert out[1] == "33 101"
    assert out[2] == "88:" + out[0].rsplit("/", 1)[1]  # major 136 = 0x88, minor = pts number
    assert out[3] == out[0]
    assert out[4] == "1"


def test_terminal_is_the_controlling_tty(berth, bundle, cid, tmp_path):
    b = bundle(["/probe"], terminal=True)
    master = create_with_console(berth, b, cid, tmp_path)
    try:
        berth.run("start", cid)
        out = read_all(master).replace("\r\n", "\n")
    finally:
        os.close(master)
    import json
    seen = json.loads(out)
    assert seen["controlling_tty"] is not None
    assert seen["sid"] == seen["pid"] == 1


def test_terminal_without_devpts_fails_clearly(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/true"], terminal=True)
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev/pts"]
    path = str(tmp_path / "c.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        b.save()
        r = berth.run("create", "--console-socket", path, "-b", b.path, cid, check=False)
    finally:
        srv.close()
    assert r.returncode != 0
    assert "process.terminal needs a devpts mount on /dev/pts" in r.stderr
