"""dockerd 20.10 (with the containerd it starts itself) driving berth.

dockerd runs with a private --data-root, --exec-root, --pidfile and -H unix socket, no
iptables, no masquerading and no bridge, and berth registered in daemon.json's `runtimes`
(not --add-runtime, which a SIGHUP drops) as the default runtime, under a private cgroup
parent. Images come from `docker import` of the offline rootfs: berth-hello (CMD /hello)
and berth-busybox. The docker CLI used is /usr/bin/docker from docker.io.
"""
import json
import os
import re
import shutil
import signal
import tempfile
import uuid

import pytest

from conftest import (BERTH, GREETING, Daemon, HostGuard, kill_pids, need, pids_mentioning,
                      remove_cgroup, run, unmount_under, wait_until)

DOCKER = "/usr/bin/docker"


class Docker:
    def __init__(self, top):
        self.top = top
        self.sock = os.path.join(top, "docker.sock")
        self.exec_root = os.path.join(top, "exec")
        self.cgroup_parent = "/berth-docker-" + uuid.uuid4().hex[:8]
        self.config = os.path.join(top, "daemon.json")
        with open(self.config, "w") as f:
            json.dump({"runtimes": {"berth": {"path": BERTH}},
                       "default-runtime": "berth",
                       "cgroup-parent": self.cgroup_parent,
                       "exec-opts": ["native.cgroupdriver=cgroupfs"]}, f)
        self.env = dict(os.environ, DOCKER_HOST="unix://" + self.sock,
                        DOCKER_CONFIG=os.path.join(top, "cli"))
        self.daemon = Daemon("dockerd", [
            "dockerd", "--config-file", self.config, "--data-root", os.path.join(top, "data"),
            "--exec-root", self.exec_root, "--pidfile", os.path.join(top, "docker.pid"),
            "-H", "unix://" + self.sock, "--iptables=false", "--ip6tables=false",
            "--ip-masq=false", "--bridge=none"], os.path.join(top, "dockerd.log"))
        self.daemon.wait_for(lambda: self("version", check=False).returncode == 0,
                             "answer on its socket", timeout=60)

    def __call__(self, *args, check=True, timeout=60, input=None):
        return run([DOCKER, *map(str, args)], check=check, timeout=timeout, env=self.env,
                   input=input)

    def status(self, name):
        return self("inspect", "-f", "{{.State.Status}}", name).stdout.strip()

    def stop(self):
        ids = self("ps", "-aq", check=False).stdout.split()
        if ids:
            self("rm", "-f", *ids, check=False, timeout=120)
        self.daemon.stop(timeout=30)
        kill_pids(pids_mentioning(self.top))  # containerd and shims dockerd left behind
        unmount_under(self.top)
        remove_cgroup(self.cgroup_parent)


@pytest.fixture(scope="module")
def docker(image):
    need("dockerd", DOCKER)
    # dockerd writes its trust key to /etc/docker/key.json, its plugin sockets' directory to
    # /run/docker, and the shims put theirs under /run/containerd, whatever the flags say.
    guard = HostGuard(["/etc/docker/key.json", "/run/docker", "/run/containerd"])
    top = tempfile.mkdtemp(prefix="berth-docker-", dir="/tmp")
    d = None
    try:
        d = Docker(top)
        d("import", "-c", 'CMD ["/hello"]', image.rootfs_tar, "berth-hello", timeout=120)
        d("import", "-c", 'CMD ["/bin/sh"]', image.rootfs_tar, "berth-busybox", timeout=120)
        yield d
    finally:
        if d is not None:
            d.stop()
        unmount_under(top)
        guard.restore()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def name(docker):
    n = "d" + uuid.uuid4().hex[:10]
    yield n
    docker("rm", "-f", n, check=False)


@pytest.fixture
def detached(docker, name):
    docker("run", "-d", "--name", name, "berth-busybox", "sleep", "1000")
    wait_until(lambda: docker.status(name) == "running", f"{name} running")
    return name


def test_run_rm_prints_the_greeting(docker):
    r = docker("run", "--rm", "berth-hello")
    assert GREETING in r.stdout


def test_run_returns_the_exit_status(docker):
    assert docker("run", "--rm", "berth-busybox", "sh", "-c", "exit 7",
                  check=False).returncode == 7


def test_berth_is_the_runtime(docker, detached):
    assert docker("inspect", "-f", "{{.HostConfig.Runtime}}", detached).stdout.strip() == "berth"
    cid = docker("inspect", "-f", "{{.Id}}", detached).stdout.strip()
    # The shim's options.json in the task bundle names the runtime root dockerd chose.
    bundle = os.path.join(docker.exec_root, "containerd", "daemon",
                          "io.containerd.runtime.v2.task", "moby", cid)
    with open(os.path.join(bundle, "options.json")) as f:
        options = json.load(f)
    assert options["binary_name"] == BERTH
    with open(os.path.join(options["root"], "moby", cid, "state.json")) as f:
        state = json.load(f)
    assert "pidStartTime" in state  # berth's own field: runc's state.json has none
    assert state["pid"] == int(docker("inspect", "-f", "{{.State.Pid}}", detached).stdout)


def test_run_detached_exec_top_pause_update_stop_rm(docker, detached):
    r = docker("exec", detached, "sh", "-c", "echo $((6 * 7)); cat /proc/1/cmdline")
    assert r.stdout.startswith("42\nsleep")
    assert docker("exec", detached, "sh", "-c", "exit 5", check=False).returncode == 5
    top = docker("top", detached).stdout
    assert "sleep 1000" in top
    docker("pause", detached)
    assert docker.status(detached) == "paused"
    docker("unpause", detached)
    assert docker.status(detached) == "running"
    docker("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "77", detached)
    r = docker("exec", detached, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
               "/sys/fs/cgroup/pids/pids.max")
    assert r.stdout.split() == [str(64 << 20), "77"]
    # busybox sleep as pid 1 ignores SIGTERM: stop escalates to SIGKILL as with runc.
    docker("stop", "-t", "1", detached)
    assert docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}",
                  detached).stdout.split() == ["exited", "137"]
    docker("rm", detached)
    assert docker("ps", "-aq", "--filter", f"name={detached}").stdout.strip() == ""


def test_run_interactive_tty(docker):
    need("script")
    cmd = (f"{DOCKER} run -it --rm berth-busybox sh -c "
           "'tty; test -t 0 && echo stdin-is-a-tty; read line; echo got-$line; exit 3'")
    r = run(["script", "-qec", cmd, "/dev/null"], check=False, env=docker.env,
            input="hello\n")
    assert r.returncode == 3, r.stdout + r.stderr
    assert re.search(r"/dev/pts/\d+\r?$", r.stdout, re.M), r.stdout
    assert "stdin-is-a-tty" in r.stdout and "got-hello" in r.stdout


def test_memory_and_pids_limits(docker):
    r = docker("run", "--rm", "--memory", "32m", "--pids-limit", "50", "berth-busybox", "cat",
               "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max")
    assert r.stdout.split() == [str(32 << 20), "50"]


def test_read_only_rootfs(docker):
    r = docker("run", "--rm", "--read-only", "berth-busybox", "sh", "-c",
               "touch /x 2>&1; touch /tmp/y 2>&1; echo done", check=False)
    assert "Read-only file system" in r.stdout and "done" in r.stdout


def test_cap_drop(docker):
    r = docker("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
               "berth-busybox", "grep", "^Cap", "/proc/self/status")
    caps = dict(line.split(":\t") for line in r.stdout.splitlines())
    assert int(caps["CapEff"], 16) == 1 << 10  # CAP_NET_BIND_SERVICE alone
    assert int(caps["CapBnd"], 16) == 1 << 10


def test_user(docker):
    r = docker("run", "--rm", "--user", "1000:1000", "berth-busybox", "id")
    assert r.stdout.strip() == "uid=1000(app) gid=1000(app) groups=1000(app)"
    r = docker("run", "--rm", "--user", "nobody", "berth-busybox", "id", "-u")
    assert r.stdout.strip() == "65534"


def test_network_none_runs_the_prestart_hook(docker, name):
    docker("run", "-d", "--name", name, "--network", "none", "berth-busybox", "sleep", "1000")
    wait_until(lambda: docker.status(name) == "running", f"{name} running")
    # dockerd's prestart hook (libnetwork-setkey) hands it the container's netns, which it
    # binds at the sandbox key: that file is the container's netns only if the hook ran.
    key = docker("inspect", "-f", "{{.NetworkSettings.SandboxKey}}", name).stdout.strip()
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", name).stdout)
    assert key and os.stat(key).st_ino == os.stat(f"/proc/{pid}/ns/net").st_ino
    r = docker("exec", name, "ip", "-o", "link")
    assert [line.split(":")[1].strip() for line in r.stdout.splitlines()] == ["lo"]


@pytest.mark.parametrize("cmd,status,text", [
    ("/nonexistent", 127, 'exec: "/nonexistent": stat /nonexistent: no such file or directory'),
    ("nosuchcmd", 127, 'exec: "nosuchcmd": executable file not found in $PATH'),
    ("/etc/passwd", 126, 'exec: "/etc/passwd": permission denied'),
])
def test_failing_command_exit_status_and_error(docker, cmd, status, text):
    r = docker("run", "--rm", "berth-busybox", cmd, check=False)
    assert r.returncode == status, r.stderr
    assert text in r.stderr


def test_sighup_keeps_the_daemon_json_runtime(docker):
    os.kill(docker.daemon.pid, signal.SIGHUP)
    wait_until(lambda: "Reloaded configuration" in docker.daemon.log_text(), "dockerd to reload")
    r = docker("run", "--rm", "--runtime", "berth", "berth-hello")
    assert GREETING in r.stdout


def test_exec_interactive_tty(docker, detached):
    need("script")
    cmd = f"{DOCKER} exec -it {detached} sh -c 'tty; read line; echo got-$line; exit 4'"
    r = run(["script", "-qec", cmd, "/dev/null"], check=False, env=docker.env,
            input="hello\n")
    assert r.returncode == 4, r.stdout + r.stderr
    assert re.search(r"/dev/pts/\d+\r*$", r.stdout, re.M) and "got-hello" in r.stdout


def test_restart_kill_and_logs(docker, name):
    docker("run", "-d", "--name", name, "berth-busybox", "sh", "-c",
           "echo started; trap 'echo got-usr1' USR1; trap 'exit 9' TERM; "
           "while :; do sleep 0.1; done")
    wait_until(lambda: "started" in docker("logs", name).stdout, "the first start's output")
    # restart deletes berth's container and creates one with the same id again.
    docker("restart", "-t", "5", name)
    wait_until(lambda: docker("logs", name).stdout.count("started") == 2, "a second start")
    docker("kill", "-s", "USR1", name)
    wait_until(lambda: "got-usr1" in docker("logs", name).stdout, "USR1 handled")
    docker("kill", "-s", "TERM", name)
    wait_until(lambda: docker.status(name) == "exited", "exit on TERM")
    assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "9"


def test_stats(docker, detached):
    r = docker("stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", detached)
    usage, pids = r.stdout.rsplit(None, 1)
    assert pids == "1" and "B" in usage, r.stdout


def test_init_volume_tmpfs(docker, tmp_path):
    (tmp_path / "f").write_text("from-host\n")
    r = docker("run", "--rm", "--init", "-v", f"{tmp_path}:/mnt", "--tmpfs", "/scratch",
               "berth-busybox", "sh", "-c",
               "cat /proc/1/comm; cat /mnt/f; echo back > /mnt/g; grep -c ' /scratch ' /proc/mounts")
    assert r.stdout.split() == ["docker-init", "from-host", "1"]
    assert (tmp_path / "g").read_text() == "back\n"


def test_runtime_error_exits_125_with_berths_text(docker):
    if not os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"):
        pytest.skip("the kernel has no cpu.rt_runtime_us (no RT group scheduling): dockerd "
                    "refuses --cpu-rt-runtime itself and never calls the runtime")
    # The parent cgroup has no real-time budget, so the runtime's write fails; with runc too.
    r = docker("run", "--rm", "--cpu-rt-runtime", "100", "berth-busybox", "true", check=False)
    assert r.returncode == 125, r.stderr
    assert "OCI runtime create failed: linux.resources.cpu.realtimeRuntime: write '100'" \
        in r.stderr
