"""Podman 4.3 with conmon driving berth.

Podman runs with private configuration (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
CONTAINERS_REGISTRIES_CONF), --root/--runroot/--tmpdir under a temp dir, the cgroupfs manager
under a private cgroup parent, the file events backend and no network namespace setup.
berth is registered under [engine.runtimes] and named in runtime_supports_json (so Podman asks
for JSON logs and reads berth's errors from them) and runtime_supports_nocgroups. The image is
loaded from an OCI archive built offline.

default_ulimits sets nofile and nproc because Podman run as root otherwise asks for 1048576 of
each, above this host's hard limits, and root here lacks CAP_SYS_RESOURCE: runc fails the same.
"""
import json
import os
import re
import shutil
import tempfile
import time
import uuid

import pytest

from conftest import (BERTH, GREETING, HostGuard, kill_pids, need, pids_mentioning,
                      remove_cgroup, run, unmount_under, wait_until)

IMAGE = "localhost/berth-clients:latest"


class Podman:
    def __init__(self, top):
        self.top = top
        self.cgroup_parent = "/berth-podman-" + uuid.uuid4().hex[:8]
        self.events = os.path.join(top, "events.log")
        conf = os.path.join(top, "containers.conf")
        with open(conf, "w") as f:
            f.write(f'''[containers]
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{self.events}"
runtime = "berth"
conmon_path = ["/usr/bin/conmon"]
tmp_dir = "{top}/tmp"
volume_path = "{top}/volumes"
static_dir = "{top}/root/libpod"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "youki", "krun", "berth"]
runtime_supports_nocgroups = ["crun", "krun", "berth"]

[engine.runtimes]
berth = ["{BERTH}"]

[network]
network_config_dir = "{top}/networks"
''')
        storage = os.path.join(top, "storage.conf")
        with open(storage, "w") as f:
            f.write(f'[storage]\ndriver = "overlay"\nrunroot = "{top}/runroot"\n'
                    f'graphroot = "{top}/root"\n')
        registries = os.path.join(top, "registries.conf")
        with open(registries, "w") as f:
            f.write("unqualified-search-registries = []\n")
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage,
                        CONTAINERS_REGISTRIES_CONF=registries)
        self.base = ["podman", "--root", f"{top}/root", "--runroot", f"{top}/runroot",
                     "--tmpdir", f"{top}/tmp", "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--runtime", "berth"]

    def __call__(self, *args, check=True, timeout=60, input=None):
        return run(self.base + list(map(str, args)), check=check, timeout=timeout,
                   env=self.env, input=input)

    def run(self, *args, **kw):
        """`podman run` under the private cgroup parent."""
        return self("run", "--cgroup-parent", self.cgroup_parent, *args, **kw)

    def shell_cmd(self, *args):
        return " ".join(self.base + ["run", "--cgroup-parent", self.cgroup_parent, *args])

    def status(self, name):
        return self("inspect", name, "--format", "{{.State.Status}}").stdout.strip()

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def cleanup(self):
        self("rm", "--all", "--force", "--time", "0", check=False, timeout=120)
        kill_pids(pids_mentioning(self.top))  # conmon of a container rm could not remove
        unmount_under(self.top)
        remove_cgroup(self.cgroup_parent)


@pytest.fixture(scope="module")
def podman(image):
    need("podman", "conmon")
    # Podman as root keeps a blob-info cache in /var/lib/containers/cache whatever the
    # storage paths say: remove it afterwards when it was not there before.
    guard = HostGuard(["/var/lib/containers"])
    top = tempfile.mkdtemp(prefix="berth-podman-", dir="/tmp")
    p = Podman(top)
    try:
        p("load", "-i", image.oci_archive(IMAGE), timeout=120)
        yield p
    finally:
        p.cleanup()
        guard.restore()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def name(podman):
    n = "p" + uuid.uuid4().hex[:10]
    yield n
    podman("rm", "--force", "--time", "0", n, check=False)


@pytest.fixture
def detached(podman, name):
    podman.run("-d", "--name", name, IMAGE, "sleep", "1000")
    wait_until(lambda: podman.status(name) == "running", f"{name} running")
    return name


def test_run_rm_prints_the_greeting(podman, name):
    r = podman.run("--rm", "--name", name, IMAGE, "/hello")
    assert GREETING in r.stdout
    assert podman("ps", "-a", "-q", "--filter", f"name={name}").stdout.strip() == ""


def test_run_rm_returns_the_exit_status(podman):
    r = podman.run("--rm", IMAGE, "sh", "-c", "exit 7", check=False)
    assert r.returncode == 7, r.stderr


@pytest.mark.parametrize("cmd,status,text", [
    ("/nonexistent", 127, 'exec: "/nonexistent": stat /nonexistent: no such file or directory'),
    ("nosuchcmd", 127, 'exec: "nosuchcmd": executable file not found in $PATH'),
    ("/etc/passwd", 126, 'exec: "/etc/passwd": permission denied'),
])
def test_failing_command_exit_status_and_error(podman, cmd, status, text):
    # Podman reads berth's JSON log and maps the create error's text as it does runc's.
    r = podman.run("--rm", IMAGE, cmd, check=False)
    assert r.returncode == status, r.stderr
    assert text in r.stderr


def test_run_detached_exec_stop_rm(podman, detached):
    r = podman("exec", detached, "sh", "-c", "echo $((6 * 7)); cat /proc/1/cmdline")
    assert r.stdout.startswith("42\nsleep")
    assert podman("exec", detached, "sh", "-c", "exit 5", check=False).returncode == 5
    # busybox sleep as pid 1 ignores SIGTERM, so stop escalates to SIGKILL as with runc.
    podman("stop", "--time", "1", detached)
    state = podman.inspect(detached)["State"]
    assert state["Status"] == "exited" and state["ExitCode"] == 137
    podman("rm", detached)
    assert podman("ps", "-a", "-q", "--filter", f"name={detached}").stdout.strip() == ""


def test_run_interactive_tty(podman):
    need("script")
    cmd = podman.shell_cmd("-it", "--rm", IMAGE, "sh", "-c",
                           "'tty; test -t 0 && echo stdin-is-a-tty; read line; "
                           "echo got-$line; exit 3'")
    r = run(["script", "-qec", cmd, "/dev/null"], check=False, env=podman.env,
            input="hello\n")
    assert r.returncode == 3, r.stdout + r.stderr
    assert re.search(r"^/dev/pts/\d+\r?$", r.stdout, re.M), r.stdout
    assert "stdin-is-a-tty" in r.stdout and "got-hello" in r.stdout


def test_pause_unpause(podman, detached):
    podman("pause", detached)
    assert podman.status(detached) == "paused"
    r = podman("exec", detached, "true", check=False)
    assert r.returncode != 0 and "running" in r.stderr
    podman("unpause", detached)
    assert podman.status(detached) == "running"
    assert podman("exec", detached, "echo", "thawed").stdout.strip() == "thawed"


def test_update_memory(podman, detached):
    podman("update", "--memory", "64m", detached)
    r = podman("exec", detached, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
    assert int(r.stdout) == 64 << 20


def test_resource_limits(podman):
    r = podman.run("--rm", "--memory", "32m", "--pids-limit", "50", "--cpus", "0.5", IMAGE,
                   "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                   "/sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us; "
                   "ulimit -n; ulimit -u")
    assert r.stdout.split() == [str(32 << 20), "50", "50000", "1024", "4096"]


def test_pid_host_stop_kills_every_process(podman, name):
    # Without its own pid namespace the container's processes do not die with its init:
    # Podman stops them with `kill --all`, which berth sends to every pid of the cgroup.
    marker = str(1000 + os.getpid() % 1000) + "." + str(uuid.uuid4().int % 1000)
    podman.run("-d", "--pid=host", "--name", name, IMAGE, "sh", "-c",
               f"sleep {marker} & sleep {marker} & wait")
    sleeps = lambda: [p for p in pids_mentioning(f"sleep {marker}") if _argv0(p) == "sleep"]
    wait_until(lambda: len(sleeps()) == 2, "the two sleeps")
    podman("stop", "--time", "2", name)
    wait_until(lambda: not pids_mentioning(f"sleep {marker}"), "every process gone")
    assert podman.status(name) == "exited"


def _argv0(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return None


def test_events_file_records_the_lifecycle(podman, name):
    podman.run("--rm", "--name", name, IMAGE, "true")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(podman.events) as f:
            events = [json.loads(line) for line in f if name in line]
        if {"start", "died", "remove"} <= {e.get("Status") for e in events}:
            break
        time.sleep(0.2)
    assert {"init", "start", "died"} <= {e.get("Status") for e in events}, events


def test_exec_interactive_tty(podman, detached):
    need("script")
    cmd = " ".join(podman.base + ["exec", "-it", detached, "sh", "-c",
                                  "'tty; read line; echo got-$line; exit 4'"])
    r = run(["script", "-qec", cmd, "/dev/null"], check=False, env=podman.env,
            input="hello\n")
    assert r.returncode == 4, r.stdout + r.stderr
    assert re.search(r"/dev/pts/\d+\r*$", r.stdout, re.M) and "got-hello" in r.stdout


def test_restart_kill_top_logs(podman, name):
    podman.run("-d", "--name", name, IMAGE, "sh", "-c",
               "echo started; trap 'echo got-usr1' USR1; trap 'exit 9' TERM; "
               "while :; do sleep 0.1; done")
    wait_until(lambda: "started" in podman("logs", name).stdout, "the first start's output")
    podman("restart", "--time", "5", name)
    wait_until(lambda: podman("logs", name).stdout.count("started") == 2, "a second start")
    assert "sh -c" in podman("top", name).stdout
    podman("kill", "--signal", "USR1", name)
    wait_until(lambda: "got-usr1" in podman("logs", name).stdout, "USR1 handled")
    podman("kill", "--signal", "TERM", name)
    wait_until(lambda: podman.status(name) == "exited", "exit on TERM")
    assert podman.inspect(name)["State"]["ExitCode"] == 9


def test_stats(podman, detached):
    r = podman("stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", detached)
    usage, pids = r.stdout.rsplit(None, 1)
    assert pids == "1" and "B" in usage, r.stdout


def test_user_namespace_uidmap(podman):
    r = podman.run("--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536", IMAGE,
                   "sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin")
    maps, uid, owner = r.stdout.splitlines()[:2], r.stdout.split()[-2], r.stdout.split()[-1]
    assert [m.split() for m in maps] == [["0", "100000", "65536"]] * 2
    assert uid == "0" and owner == "0"


def test_read_only_cap_drop_user(podman):
    r = podman.run("--rm", "--read-only", "--cap-drop", "all", "--user", "1000", IMAGE, "sh",
                   "-c", "id -u; grep CapEff /proc/self/status; touch /x 2>&1; true")
    assert r.stdout.splitlines()[0] == "1000"
    assert "CapEff:\t0000000000000000" in r.stdout
    assert "Read-only file system" in r.stdout


def test_volume_and_tmpfs(podman, tmp_path):
    (tmp_path / "f").write_text("from-host\n")
    r = podman.run("--rm", "-v", f"{tmp_path}:/mnt", "--tmpfs", "/scratch", IMAGE, "sh", "-c",
                   "cat /mnt/f; echo back > /mnt/g; grep ' /scratch ' /proc/mounts")
    assert r.stdout.startswith("from-host\ntmpfs /scratch tmpfs ")
    assert (tmp_path / "g").read_text() == "back\n"


def test_runtime_error_shows_berths_text(podman):
    if not os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"):
        pytest.skip("the kernel has no cpu.rt_runtime_us (no RT group scheduling)")
    # The parent cgroup has no real-time budget, so the runtime's write fails: Podman reads
    # the message from berth's JSON log and exits 126, as it does with runc's.
    r = podman.run("--rm", "--cpu-rt-runtime", "100", IMAGE, "true", check=False)
    assert r.returncode == 126, r.stderr
    assert "berth: linux.resources.cpu.realtimeRuntime: write '100'" in r.stderr, r.stderr
