"""containerd 1.6 with its runc v2 shim driving berth, through ctr.

A private containerd (root, state, sockets under a temp dir, CRI off) runs for the module. berth
is reached two ways: `ctr run --runc-binary <berth>`, and as the `runc` the shim finds first on
containerd's PATH (a directory holding a `runc` symlink to berth). Each flow is what a user of
ctr does; the assertions are what runc gives for the same commands.
"""
import json
import os
import re
import signal
import tempfile
import uuid

import pytest

from conftest import (BERTH, GREETING, Daemon, HostGuard, fds_of, kill_pids, need,
                      pids_mentioning, remove_cgroup, run, unmount_under, wait_until)

IMAGE = "docker.io/library/berth-clients:latest"


class Containerd:
    def __init__(self, top, namespace):
        self.top = top
        self.ns = namespace
        self.sock = os.path.join(top, "containerd.sock")
        self.runc_root = os.path.join(top, "runtime-root")
        self.bin = os.path.join(top, "bin")
        os.mkdir(self.bin)
        # The shim runs "runc" from its PATH unless told otherwise: make that berth.
        os.symlink(BERTH, os.path.join(self.bin, "runc"))
        config = os.path.join(top, "config.toml")
        with open(config, "w") as f:
            f.write(f'''version = 2
root = "{top}/root"
state = "{top}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = "{top}/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{top}/opt"
''')
        env = dict(os.environ, PATH=self.bin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                   "/usr/bin:/sbin:/bin")
        self.daemon = Daemon("containerd", ["containerd", "--config", config],
                             os.path.join(top, "containerd.log"), env=env)
        self.daemon.wait_for(lambda: self.ctr("version", check=False).returncode == 0,
                             "answer on its socket")

    def ctr(self, *args, check=True, timeout=60):
        return run(["ctr", "--address", self.sock, "--namespace", self.ns, *map(str, args)],
                   check=check, timeout=timeout)

    def run(self, cid, *cmd, flags=(), check=True, via_path=False, timeout=60):
        """`ctr run` with berth given as --runc-binary (or, via_path, as the shim's runc)."""
        runtime = [] if via_path else ["--runc-binary", BERTH]
        return self.ctr("run", "--fifo-dir", os.path.join(self.top, "fifo"), *runtime,
                        "--runc-root", self.runc_root, *flags, IMAGE, cid, *cmd,
                        check=check, timeout=timeout)

    def exec(self, cid, *cmd, check=True, detach=False):
        flags = ["--detach"] if detach else []
        return self.ctr("task", "exec", "--fifo-dir", os.path.join(self.top, "fifo"), *flags,
                        "--exec-id", "e" + uuid.uuid4().hex[:8], cid, *cmd, check=check)

    def status(self, cid):
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == cid:
                return fields[2]
        return None

    def task_pid(self, cid):
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == cid:
                return int(fields[1])
        raise AssertionError(f"task {cid} is not listed")

    def remove(self, cid):
        """Tear a container down whatever its state; used by the fixture, not as a check."""
        self.ctr("task", "kill", "-s", "SIGKILL", cid, check=False)
        wait_until(lambda: self.status(cid) in (None, "STOPPED"), f"task {cid} to stop")
        self.ctr("task", "delete", cid, check=False)
        self.ctr("container", "delete", cid, check=False)

    def stop(self):
        for line in self.ctr("container", "ls", "-q", check=False).stdout.split():
            self.remove(line)
        self.daemon.stop()
        kill_pids(pids_mentioning(self.sock))  # shims of tasks that could not be deleted


@pytest.fixture(scope="module")
def containerd(image):
    need("containerd", "ctr", "containerd-shim-runc-v2")
    # containerd's shims put their sockets under /run/containerd/s whatever the config says.
    guard = HostGuard(["/run/containerd"])
    top = tempfile.mkdtemp(prefix="berth-ctd-", dir="/tmp")
    os.chmod(top, 0o711)  # a user namespace's root must reach the bundle's rootfs below it
    ns = "berth-clients-" + uuid.uuid4().hex[:8]
    c = None
    try:
        c = Containerd(top, ns)
        c.ctr("images", "import", image.oci_archive(IMAGE))
        yield c
    finally:
        if c is not None:
            c.stop()
        unmount_under(top)
        remove_cgroup(ns)
        guard.restore()
        import shutil
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def cid(containerd):
    name = "c" + uuid.uuid4().hex[:10]
    yield name
    containerd.remove(name)


@pytest.fixture
def task(containerd, cid):
    """A detached task running `sleep` as its init."""
    containerd.run(cid, "sleep", "1000", flags=["-d"])
    wait_until(lambda: containerd.status(cid) == "RUNNING", f"task {cid} running")
    return cid


def test_run_rm_prints_the_greeting(containerd, cid):
    r = containerd.run(cid, "/hello", flags=["--rm"])
    assert GREETING in r.stdout
    assert containerd.ctr("container", "ls", "-q").stdout.split().count(cid) == 0
    # --rm deleted the runtime's state as well: berth no longer knows the container.
    assert not os.path.exists(os.path.join(containerd.runc_root, containerd.ns, cid))


def test_run_rm_returns_the_exit_status(containerd, cid):
    r = containerd.run(cid, "sh", "-c", "exit 7", flags=["--rm"], check=False)
    assert r.returncode == 7, r.stderr


def test_shim_finds_berth_as_runc_on_its_path(containerd, cid):
    containerd.run(cid, "sleep", "1000", flags=["-d"], via_path=True)
    with open(os.path.join(containerd.runc_root, containerd.ns, cid, "state.json")) as f:
        state = json.load(f)
    # pidStartTime is berth's own field: runc's state.json has none, so berth made this task.
    assert "pidStartTime" in state
    assert state["pid"] == containerd.task_pid(cid)
    r = containerd.exec(cid, "sh", "-c", "echo via-path")
    assert r.stdout.strip() == "via-path"


def test_run_missing_command_fails_with_the_runtime_error(containerd, cid):
    r = containerd.run(cid, "/nonexistent", flags=["--rm"], check=False)
    assert r.returncode != 0
    assert "/nonexistent" in r.stderr and "no such file or directory" in r.stderr, r.stderr


def test_task_exec(containerd, task):
    r = containerd.exec(task, "sh", "-c", "echo $((6 * 7)); cat /proc/1/cmdline")
    assert r.stdout.splitlines()[0] == "42"
    assert r.stdout.splitlines()[1].startswith("sleep")
    r = containerd.exec(task, "sh", "-c", "exit 5", check=False)
    assert r.returncode == 5


def test_task_ps_lists_init_and_exec(containerd, task):
    init = containerd.task_pid(task)
    containerd.exec(task, "sleep", "1000", detach=True)

    def pids():
        return {int(line.split()[0]) for line in
                containerd.ctr("task", "ps", task).stdout.splitlines()[1:] if line.strip()}
    wait_until(lambda: len(pids()) == 2, "the exec'd sleep in ctr task ps")
    assert init in pids()


def test_kill_delivers_the_signal(containerd, cid):
    containerd.run(cid, "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done",
                   flags=["-d"])
    wait_until(lambda: containerd.status(cid) == "RUNNING", "task running")
    containerd.ctr("task", "kill", "-s", "SIGTERM", cid)
    wait_until(lambda: containerd.status(cid) == "STOPPED", "task stopped by SIGTERM")
    r = containerd.ctr("task", "delete", cid)
    assert "exit code 3" in r.stdout + r.stderr


def test_kill_sigkill_gives_137(containerd, task):
    containerd.ctr("task", "kill", "-s", "SIGKILL", task)
    wait_until(lambda: containerd.status(task) == "STOPPED", "task stopped by SIGKILL")
    r = containerd.ctr("task", "delete", task)
    assert "exit code 137" in r.stdout + r.stderr


def test_pause_resume(containerd, task):
    containerd.ctr("task", "pause", task)
    assert containerd.status(task) == "PAUSED"
    with open(f"/proc/{containerd.task_pid(task)}/status") as f:
        # A frozen task sleeps in the freezer, it does not run.
        assert re.search(r"^State:\s+[SD]", f.read(), re.M)
    containerd.ctr("task", "resume", task)
    assert containerd.status(task) == "RUNNING"
    assert containerd.exec(task, "echo", "thawed").stdout.strip() == "thawed"


def test_metrics(containerd, task):
    r = containerd.ctr("task", "metrics", "--format", "json", task)
    metrics = json.loads(r.stdout)
    text = json.dumps(metrics)
    assert "memory" in text.lower() and "pids" in text.lower(), text
    r = containerd.ctr("task", "metrics", task)
    m = re.search(r"^pids\.current\s+(\d+)", r.stdout, re.M)
    assert m and int(m.group(1)) >= 1, r.stdout


def test_delete_then_force_delete_exits_zero(containerd, task):
    containerd.ctr("task", "kill", "-s", "SIGKILL", task)
    wait_until(lambda: containerd.status(task) == "STOPPED", "task stopped")
    containerd.ctr("task", "delete", task)
    containerd.ctr("container", "delete", task)
    # The shim's cleanup runs `runc delete --force` (its argv, log flags included) on the
    # container it has just deleted: as with runc, that is success, not an error. (The shim
    # may still log "failed to remove runc container ... exit status 255" for it: its reaper
    # loses the status of a runtime that exits within a millisecond; a C program that only
    # returns 0 gets the same warning, so the log is no measure of the runtime.)
    root = os.path.join(containerd.runc_root, containerd.ns)
    log = os.path.join(containerd.top, "delete-log.json")
    r = run([BERTH, "--root", root, "--log", log, "--log-format", "json", "delete", "--force",
             task], check=False)
    assert r.returncode == 0, r.stderr
    r = run([BERTH, "--root", root, "delete", task], check=False)
    assert r.returncode != 0 and task in r.stderr


def test_shim_fds_never_reach_the_container(containerd, task):
    shim = [p for p in pids_mentioning(containerd.sock) if p != containerd.daemon.pid]
    assert shim and any(fd > 2 for s in shim for fd in fds_of(s))  # the shim has extra fds
    init = containerd.task_pid(task)
    assert fds_of(init) == [0, 1, 2]
    containerd.exec(task, "sleep", "1000", detach=True)
    children = lambda: [int(p) for p in os.listdir("/proc") if p.isdigit()
                        and _ppid(int(p)) in shim and int(p) != init]
    wait_until(lambda: children(), "the exec'd process")
    for pid in children():
        assert fds_of(pid) == [0, 1, 2], pid


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def test_run_and_exec_with_a_tty(containerd, cid):
    # -t makes the shim pass --console-socket: berth sends the pty master over it.
    need("script")
    fifo = os.path.join(containerd.top, "fifo")
    base = (f"ctr --address {containerd.sock} --namespace {containerd.ns}")
    cmd = (f"{base} run -t --rm --fifo-dir {fifo} --runc-binary {BERTH} --runc-root "
           f"{containerd.runc_root} {IMAGE} {cid} sh -c 'tty; test -t 0 && echo stdin-is-a-tty;"
           " read line; echo got-$line; exit 3'")
    r = run(["script", "-qec", cmd, "/dev/null"], check=False, input="hello\n")
    assert r.returncode == 3, r.stdout + r.stderr
    assert re.search(r"/dev/pts/\d+\r*$", r.stdout, re.M), r.stdout
    assert "stdin-is-a-tty" in r.stdout and "got-hello" in r.stdout


def test_exec_with_a_tty(containerd, task):
    need("script")
    cmd = (f"ctr --address {containerd.sock} --namespace {containerd.ns} task exec -t "
           f"--fifo-dir {os.path.join(containerd.top, 'fifo')} --exec-id tty1 {task} "
           "sh -c 'tty; exit 4'")
    r = run(["script", "-qec", cmd, "/dev/null"], check=False)
    assert r.returncode == 4, r.stdout + r.stderr
    assert re.search(r"/dev/pts/\d+\r*$", r.stdout, re.M), r.stdout


def test_kill_all(containerd, task):
    containerd.exec(task, "sleep", "1000", detach=True)
    wait_until(lambda: len(containerd.ctr("task", "ps", task).stdout.splitlines()) == 3,
               "two processes in the task")
    containerd.ctr("task", "kill", "--all", "-s", "SIGKILL", task)
    wait_until(lambda: containerd.status(task) == "STOPPED", "every process killed")


def test_user_namespace(containerd, cid):
    r = containerd.run(cid, "sh", "-c", "cat /proc/self/uid_map; id -u",
                       flags=["--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"])
    assert r.stdout.split() == ["0", "100000", "65536", "0"]
