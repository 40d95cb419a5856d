"""linux.resources on a hybrid / cgroup v1 host (issue 4), through the real CLI.

Each field is set in config.json, read back from the host (/sys/fs/cgroup/<ctrl>/<path>/...)
and from inside the container (the cgroup fs mounted at /sys/fs/cgroup shows the container's
own directory), and where it means something its effect is checked: an OOM kill at the
memory limit, a fork loop stopped at pids.max, a denied device, frozen processes.
The controllers this host lacks (hugetlb, net_cls, net_prio, the blkio weight without CFQ/BFQ
weights) must fail the create with an error naming the field, leaving nothing behind.
"""
import json
import os
import subprocess
import time

import pytest

CG = "/sys/fs/cgroup"
V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer")


def _hybrid():
    return os.path.isdir(f"{CG}/memory") and os.path.isfile(f"{CG}/memory/memory.limit_in_bytes")


pytestmark = pytest.mark.skipif(not _hybrid(), reason="needs cgroup v1 controllers (hybrid host)")


def mounted(ctrl):
    return os.path.isdir(f"{CG}/{ctrl}")


def cgroups_of(pid):
    """{controller: path} from /proc/<pid>/cgroup, as the host sees it."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(","):
                out[c.replace("name=", "")] = path
    return out


def read(path):
    with open(path) as f:
        return f.read().strip()


def host(pid, ctrl, file):
    return read(f"{CG}/{ctrl}/{cgroups_of(pid)[ctrl]}/{file}")


def leftovers(path):
    """Hierarchies in which the cgroup `path` still exists."""
    return [c for c in os.listdir(CG) if os.path.isdir(f"{CG}/{c}/{path.lstrip('/')}")]


def with_resources(bundle, args, resources, **linux):
    b = bundle(args)
    b.config["linux"]["resources"] = resources
    b.config["linux"].update(linux)
    return b.save()


def create(berth, b, cid, out):
    """create with the container's stdout/stderr in the file `out` (read after it stops)."""
    errfile = f"{out}.err"
    with open(out, "w") as f, open(errfile, "w") as e:
        r = subprocess.run(berth.cmd("create", "-b", b.path, cid), stdout=f, stderr=e,
                           stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 0, read(errfile)
    return berth.state(cid)["pid"]


def wait_status(berth, cid, status, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if berth.state(cid)["status"] == status:
            return
        time.sleep(0.02)
    assert berth.state(cid)["status"] == status


def create_fails(berth, b, cid):
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode != 0
    assert cid not in berth.run("list", "-q").stdout.split()
    assert leftovers(f"/berth/{cid}") == []
    return r.stderr


# ---- memory --------------------------------------------------------------------------------

MB = 1024 * 1024

INSIDE_MEMORY = ("cd /sys/fs/cgroup/memory && cat memory.limit_in_bytes memory.soft_limit_in_bytes "
                 "memory.memsw.limit_in_bytes memory.swappiness && grep oom_kill_disable "
                 "memory.oom_control")


def test_memory_fields_on_host_and_inside(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sh", "-c", INSIDE_MEMORY],
                       {"memory": {"limit": 64 * MB, "reservation": 32 * MB, "swap": 96 * MB,
                                   "swappiness": 10, "disableOOMKiller": True}})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "memory", "memory.limit_in_bytes") == str(64 * MB)
    assert host(pid, "memory", "memory.soft_limit_in_bytes") == str(32 * MB)
    assert host(pid, "memory", "memory.memsw.limit_in_bytes") == str(96 * MB)
    assert host(pid, "memory", "memory.swappiness") == "10"
    assert "oom_kill_disable 1" in host(pid, "memory", "memory.oom_control")
    berth.run("start", cid)
    wait_status(berth, cid, "stopped")
    assert (tmp_path / "out").read_text().split() == [
        str(64 * MB), str(32 * MB), str(96 * MB), "10", "oom_kill_disable", "1"]


def test_kernel_tcp_and_use_hierarchy(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/true"], {"memory": {"kernelTCP": 16 * MB,
                                                          "useHierarchy": True}})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "memory", "memory.kmem.tcp.limit_in_bytes") == str(16 * MB)
    assert host(pid, "memory", "memory.use_hierarchy") == "1"


def kernel_at_least(major, minor):
    return tuple(int(x) for x in os.uname().release.split(".")[:2]) >= (major, minor)


@pytest.mark.parametrize("resources,message", [
    ({"memory": {"useHierarchy": False}},
     "linux.resources.memory.useHierarchy: false is not supported"),
    ({"blockIO": {"leafWeight": 300}}, "linux.resources.blockIO.leafWeight: the kernel's blkio "
     "controller has no leaf weight"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness: 101 is above 100"),
    ({"cpu": {"idle": 2}}, "linux.resources.cpu.idle: write '2'"),
    ({"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 100000}},
     "linux.resources.cpu.realtimeRuntime: write '1000'"),
    ({"rdma": {"mlx5_0": {"hcaHandles": 3}}},
     "linux.resources.rdma: the rdma cgroup controller is not mounted on this host"),
], ids=["useHierarchy-false", "leafWeight", "swappiness", "idle", "realtime", "rdma"])
def test_unsupported_values_are_clear_errors(berth, bundle, cid, resources, message):
    if "rdma" in resources and mounted("rdma"):
        pytest.skip("this host mounts rdma")
    if "leafWeight" in str(resources) and os.path.exists(f"{CG}/blkio/berth/blkio.leaf_weight"):
        pytest.skip("this kernel has CFQ leaf weights")
    if "useHierarchy" in resources and not kernel_at_least(5, 11):
        pytest.skip("older kernels accept useHierarchy false")
    b = with_resources(bundle, ["/bin/true"], resources)
    assert message in create_fails(berth, b, cid)


def test_ignored_kernel_memory_limit_is_an_error(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/true"], {"memory": {"kernel": 64 * MB}})
    if not kernel_at_least(6, 1):  # 6.1 made the limit a no-op
        pid = create(berth, b, cid, tmp_path / "out")
        assert host(pid, "memory", "memory.kmem.limit_in_bytes") == str(64 * MB)
        return
    err = create_fails(berth, b, cid)
    assert "linux.resources.memory.kernel: 67108864 was ignored" in err
    b = with_resources(bundle, ["/bin/true"], {"memory": {"kernel": -1}})
    create(berth, b, cid, tmp_path / "out")  # unlimited is what the kernel does anyway


def test_memory_swap_below_limit_is_refused(berth, bundle, cid):
    b = with_resources(bundle, ["/bin/true"], {"memory": {"limit": 64 * MB, "swap": 32 * MB}})
    err = create_fails(berth, b, cid)
    assert "linux.resources.memory.swap" in err


HOG = "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"


def test_memory_hog_is_oom_killed_and_events_reports_it(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sh", "-c", "sleep 0.3; " + HOG],
                       {"memory": {"limit": 24 * MB, "swap": 24 * MB}})
    pid = create(berth, b, cid, tmp_path / "out")
    ev = subprocess.Popen(berth.cmd("events", cid), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.1)
        berth.run("start", cid)
        wait_status(berth, cid, "stopped", timeout=20)
        out, _ = ev.communicate(timeout=10)
    finally:
        if ev.poll() is None:
            ev.kill()
            ev.wait()
    assert "survived" not in (tmp_path / "out").read_text()
    assert {"type": "oom", "id": cid} in [json.loads(line) for line in out.splitlines()]
    # The cgroup stays until delete: the kernel counted the kill there.
    oom = dict(line.split() for line in
               read(f"{CG}/memory/berth/{cid}/memory.oom_control").splitlines())
    assert int(oom["oom_kill"]) >= 1
    assert pid > 0


def test_run_of_a_memory_hog_exits_137(berth, bundle, cid):
    b = with_resources(bundle, ["/bin/sh", "-c", HOG],
                       {"memory": {"limit": 24 * MB, "swap": 24 * MB}})
    r = berth.run("run", "-b", b.path, cid, check=False)
    assert r.returncode == 137, r.stderr
    assert "survived" not in r.stdout


# ---- cpu, cpuset ---------------------------------------------------------------------------

CPU = {"shares": 512, "quota": 50000, "period": 100000, "burst": 20000, "idle": 0,
       "cpus": "1", "mems": "0"}
INSIDE_CPU = ("cd /sys/fs/cgroup && cat cpu/cpu.shares cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us "
              "cpu/cpu.cfs_burst_us cpu/cpu.idle cpuset/cpuset.cpus cpuset/cpuset.mems && "
              "grep Cpus_allowed_list /proc/self/status")


def test_cpu_and_cpuset_fields_on_host_and_inside(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sh", "-c", INSIDE_CPU], {"cpu": CPU})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "cpu", "cpu.shares") == "512"
    assert host(pid, "cpu", "cpu.cfs_quota_us") == "50000"
    assert host(pid, "cpu", "cpu.cfs_period_us") == "100000"
    assert host(pid, "cpu", "cpu.cfs_burst_us") == "20000"
    assert host(pid, "cpu", "cpu.idle") == "0"
    assert host(pid, "cpuset", "cpuset.cpus") == "1"
    assert host(pid, "cpuset", "cpuset.mems") == "0"
    berth.run("start", cid)
    wait_status(berth, cid, "stopped")
    assert (tmp_path / "out").read_text().split() == [
        "512", "50000", "100000", "20000", "0", "1", "0", "Cpus_allowed_list:", "1"]


def test_cpu_idle_is_written(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/true"], {"cpu": {"idle": 1}})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "cpu", "cpu.idle") == "1"


def test_cpu_shares_out_of_range_is_an_error(berth, bundle, cid):
    b = with_resources(bundle, ["/bin/true"], {"cpu": {"shares": 1}})
    err = create_fails(berth, b, cid)
    assert "linux.resources.cpu.shares" in err


def test_cpus_outside_the_host_is_an_error(berth, bundle, cid):
    b = with_resources(bundle, ["/bin/true"], {"cpu": {"cpus": "63"}})
    err = create_fails(berth, b, cid)
    assert "linux.resources.cpu.cpus" in err


# ---- pids ----------------------------------------------------------------------------------

# The inner shell forks sleeps until fork fails (busybox sh then exits 2); the outer one
# reports that and the count with builtins, which need no fork.
FORK_LOOP = ["/bin/sh", "-c", 'sh -c "$0"; echo status $?; '
             'read n < /sys/fs/cgroup/pids/pids.current; read m < /sys/fs/cgroup/pids/pids.max; '
             'echo current $n max $m',
             "i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); echo $i; done"]


def test_fork_loop_stops_at_pids_max(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, FORK_LOOP, {"pids": {"limit": 8}})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "pids", "pids.max") == "8"
    berth.run("start", cid)
    wait_status(berth, cid, "stopped")
    out = (tmp_path / "out").read_text().splitlines()
    # outer sh + inner sh + 6 sleeps = 8; the 7th sleep cannot be forked.
    assert [line for line in out if line.isdigit()] == ["1", "2", "3", "4", "5", "6"]
    assert "status 2" in out
    assert "current 7 max 8" in out
    assert read(f"{CG}/pids/berth/{cid}/pids.events") != "max 0"


# ---- blkio ---------------------------------------------------------------------------------

def root_disk():
    st = os.stat("/")
    for dev in sorted(os.listdir("/sys/block")):
        if not dev.startswith(("loop", "zram", "ram")):
            return read(f"/sys/block/{dev}/dev")
    return f"{os.major(st.st_dev)}:0"


def test_blkio_throttle_on_host_and_inside(berth, bundle, cid, tmp_path):
    major, minor = map(int, root_disk().split(":"))
    b = with_resources(bundle, ["/bin/sh", "-c",
                                "cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device"],
                       {"blockIO": {"throttleReadBpsDevice": [
                           {"major": major, "minor": minor, "rate": 1048576}]}})
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "blkio", "blkio.throttle.read_bps_device") == f"{major}:{minor} 1048576"
    berth.run("start", cid)
    wait_status(berth, cid, "stopped")
    assert (tmp_path / "out").read_text().strip() == f"{major}:{minor} 1048576"


def weight_file():
    """The blkio weight file of a non-root cgroup here (CFQ or BFQ), or None."""
    for f in ("blkio.weight", "blkio.bfq.weight"):
        if os.path.exists(f"{CG}/blkio/berth/{f}"):
            return f
    return None


def test_blkio_weight(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/true"], {"blockIO": {"weight": 300}})
    wf = weight_file()
    if wf is None:
        err = create_fails(berth, b, cid)
        assert "linux.resources.blockIO.weight" in err and "no weight" in err
        return
    pid = create(berth, b, cid, tmp_path / "out")
    assert host(pid, "blkio", wf).split()[-1] == "300"


def test_blkio_weight_device(berth, bundle, cid, tmp_path):
    dev = root_disk()
    major, minor = map(int, dev.split(":"))
    b = with_resources(bundle, ["/bin/true"], {"blockIO": {
        "weightDevice": [{"major": major, "minor": minor, "weight": 200}]}})
    wf = weight_file()
    name = [d for d in os.listdir("/sys/block") if read(f"/sys/block/{d}/dev") == dev][0]
    if wf is None or "[bfq]" not in read(f"/sys/block/{name}/queue/scheduler"):
        # Per-device weights need a weight-aware scheduler on that disk.
        err = create_fails(berth, b, cid)
        assert "linux.resources.blockIO.weightDevice[0]" in err
        return
    pid = create(berth, b, cid, tmp_path / "out")
    assert f"{dev} 200" in host(pid, "blkio", wf + "_device").splitlines()


# ---- devices -------------------------------------------------------------------------------
# /dev/fuse (c 10:229) is not among the devices every container gets (runc's list: null, zero,
# full, tty, random, urandom, console, pts, ptmx, tun), so resources.devices decides about it.
# Those defaults come after resources.devices, as in runc: a deny of /dev/null is overridden.

FUSE = ("if (exec 3<> /fuse) 2>/dev/null; then echo opened; else echo refused; fi; "
        "cat /sys/fs/cgroup/devices/devices.list")


def fuse_bundle(bundle, rules):
    b = with_resources(bundle, ["/bin/sh", "-c", FUSE], {"devices": rules})
    os.mknod(os.path.join(b.rootfs, "fuse"), 0o666 | 0o020000, os.makedev(10, 229))
    return b


@pytest.mark.parametrize("rules,outcome", [
    ([{"allow": False, "access": "rwm"}], "refused"),
    ([{"allow": False, "access": "rwm"},
      {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rw"}], "opened"),
    ([{"allow": False, "access": "rwm"},
      {"allow": True, "type": "c", "major": 10, "minor": 229, "access": "rwm"},
      {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"}], "refused"),
    ([{"allow": True, "access": "rwm"},
      {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rw"}], "refused"),
], ids=["deny-all", "allow", "allow-then-deny", "allow-all-deny-one"])
def test_device_rules(berth, bundle, cid, tmp_path, rules, outcome):
    b = fuse_bundle(bundle, rules)
    pid = create(berth, b, cid, tmp_path / "out")
    listed = host(pid, "devices", "devices.list").splitlines()
    if rules[0]["allow"]:
        assert listed == ["a *:* rwm"]  # v1 lists no denials when the default is allow
    else:
        assert "c 1:3 rwm" in listed  # /dev/null, a default
        assert ("c 10:229 rw" in listed) == (outcome == "opened")
    berth.run("start", cid)
    wait_status(berth, cid, "stopped")
    out = (tmp_path / "out").read_text().splitlines()
    assert out[0] == outcome
    assert sorted(out[1:]) == sorted(listed)


def test_device_rule_punching_a_wildcard_is_refused(berth, bundle, cid):
    # v1 would silently keep c 10:* allowed: refuse it as runc does.
    b = fuse_bundle(bundle, [{"allow": False, "access": "rwm"},
                             {"allow": True, "type": "c", "major": 10, "access": "rwm"},
                             {"allow": False, "type": "c", "major": 10, "minor": 229,
                              "access": "rwm"}])
    err = create_fails(berth, b, cid)
    assert "linux.resources.devices[2]: cgroup v1 cannot deny part of an earlier rule" in err


# ---- controllers this host lacks -----------------------------------------------------------

@pytest.mark.parametrize("ctrl,resources,field", [
    ("hugetlb", {"hugepageLimits": [{"pageSize": "2MB", "limit": 2 * MB}]},
     "linux.resources.hugepageLimits"),
    ("net_cls", {"network": {"classID": 1048577}}, "linux.resources.network.classID"),
    ("net_prio", {"network": {"priorities": [{"name": "lo", "priority": 1}]}},
     "linux.resources.network.priorities"),
])
def test_missing_controller_is_a_clear_error(berth, bundle, cid, ctrl, resources, field):
    if mounted(ctrl):
        pytest.skip(f"this host mounts {ctrl}")
    b = with_resources(bundle, ["/bin/true"], resources)
    err = create_fails(berth, b, cid)
    assert f"{field}: the {ctrl} cgroup controller is not mounted on this host" in err


def test_unified_is_refused_on_v1(berth, bundle, cid):
    b = with_resources(bundle, ["/bin/true"], {"unified": {"memory.high": "1000000"}})
    err = create_fails(berth, b, cid)
    assert "linux.resources.unified" in err


# ---- freezer: pause / resume ---------------------------------------------------------------

def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_pause_freezes_and_resume_thaws(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sh", "-c", "while :; do :; done"], {})
    pid = create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    time.sleep(0.1)
    berth.run("pause", cid)
    assert berth.state(cid)["status"] == "paused"
    assert host(pid, "freezer", "freezer.state") == "FROZEN"
    before = cpu_ticks(pid)
    time.sleep(0.3)
    assert cpu_ticks(pid) == before
    assert read(f"/proc/{pid}/status").split("State:")[1].split()[0] in ("D", "S")
    berth.run("resume", cid)
    assert berth.state(cid)["status"] == "running"
    assert host(pid, "freezer", "freezer.state") == "THAWED"
    time.sleep(0.3)
    assert cpu_ticks(pid) > before
    berth.run("kill", cid, "KILL")


def test_pause_and_resume_need_the_right_state(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sleep", "30"], {})
    pid = create(berth, b, cid, tmp_path / "out")
    r = berth.run("pause", cid, check=False)
    assert r.returncode != 0 and "not running" in r.stderr
    assert host(pid, "freezer", "freezer.state") == "THAWED"
    berth.run("start", cid)
    r = berth.run("resume", cid, check=False)
    assert r.returncode != 0 and "not paused" in r.stderr
    berth.run("pause", cid)
    r = berth.run("pause", cid, check=False)
    assert r.returncode != 0
    assert berth.state(cid)["status"] == "paused"


def test_delete_of_a_created_container(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sleep", "30"], {"pids": {"limit": 10}})
    create(berth, b, cid, tmp_path / "out")
    assert set(leftovers(f"/berth/{cid}")) >= set(V1_CONTROLLERS)
    berth.run("delete", cid)
    assert leftovers(f"/berth/{cid}") == []


def test_delete_force_of_a_paused_container(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sleep", "30"], {})
    create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    berth.run("pause", cid)
    berth.run("delete", "--force", cid)
    assert leftovers(f"/berth/{cid}") == []


@pytest.mark.parametrize("all_", [False, True], ids=["kill", "kill-all"])
def test_sigkill_reaches_a_paused_container(berth, bundle, cid, tmp_path, all_):
    # A v1 frozen task acts on SIGKILL only once thawed: kill must thaw (as runc does).
    b = with_resources(bundle, ["/bin/sh", "-c", "sleep 30 & sleep 30"], {})
    create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    berth.run("pause", cid)
    berth.run("kill", *(["--all"] if all_ else []), cid, "KILL")
    wait_status(berth, cid, "stopped")
    procs = f"{CG}/freezer/berth/{cid}/cgroup.procs"
    deadline = time.time() + 5
    while read(procs) and time.time() < deadline:
        time.sleep(0.02)
    assert read(procs) == ""
    berth.run("delete", cid)
    assert leftovers(f"/berth/{cid}") == []


def test_other_signals_wait_for_resume(berth, bundle, cid, tmp_path):
    b = with_resources(bundle, ["/bin/sh", "-c", "trap 'echo got-term; exit 7' TERM; "
                                "while :; do sleep 0.05; done"], {})
    create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    time.sleep(0.2)
    berth.run("pause", cid)
    berth.run("kill", cid, "TERM")
    time.sleep(0.3)
    assert berth.state(cid)["status"] == "paused"
    berth.run("resume", cid)
    wait_status(berth, cid, "stopped")
    assert "got-term" in (tmp_path / "out").read_text()


def test_exec_and_ps_see_the_cgroup(berth, bundle, cid, tmp_path):
    pid = running(berth, bundle, cid, tmp_path)
    # The exec'd process must not run before it is in every hierarchy (v1 joins after the
    # clone): a few tries, as the race was lost about once in five.
    for _ in range(8):
        r = berth.run("exec", cid, "/bin/cat", "/proc/self/cgroup")
        paths = {line.split(":", 2)[1]: line.split(":", 2)[2] for line in r.stdout.splitlines()}
        for ctrl in V1_CONTROLLERS:
            assert paths[ctrl] == f"/berth/{cid}", ctrl
        assert paths[""] == f"/berth/{cid}"  # the unified hierarchy of the hybrid host
    ps = berth.run("ps", "--format", "json", cid)
    assert json.loads(ps.stdout) == [pid]


# ---- update ---------------------------------------------------------------------------------

def running(berth, bundle, cid, tmp_path, resources=None):
    b = with_resources(bundle, ["/bin/sleep", "30"], resources or {})
    pid = create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    return pid


def test_update_with_runc_flags(berth, bundle, cid, tmp_path):
    pid = running(berth, bundle, cid, tmp_path, {"memory": {"limit": 64 * MB}})
    berth.run("update", "--memory", "48m", "--memory-swap", "96m",
              "--memory-reservation", "16m", "--cpu-shares", "256", "--cpu-quota", "20000",
              "--cpu-period", "50000", "--cpuset-cpus", "1", "--cpuset-mems", "0",
              "--pids-limit", "42", cid)
    assert host(pid, "memory", "memory.limit_in_bytes") == str(48 * MB)
    assert host(pid, "memory", "memory.memsw.limit_in_bytes") == str(96 * MB)
    assert host(pid, "memory", "memory.soft_limit_in_bytes") == str(16 * MB)
    assert host(pid, "cpu", "cpu.shares") == "256"
    assert host(pid, "cpu", "cpu.cfs_quota_us") == "20000"
    assert host(pid, "cpu", "cpu.cfs_period_us") == "50000"
    assert host(pid, "cpuset", "cpuset.cpus") == "1"
    assert host(pid, "pids", "pids.max") == "42"
    # The container sees the new values in its own cgroup directory.
    r = berth.run("exec", cid, "/bin/cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/pids/pids.max")
    assert r.stdout.split() == [str(48 * MB), "42"]


def test_update_blkio_weight_flag(berth, bundle, cid, tmp_path):
    pid = running(berth, bundle, cid, tmp_path)
    r = berth.run("update", "--blkio-weight", "300", cid, check=False)
    if weight_file():
        assert r.returncode == 0, r.stderr
        assert host(pid, "blkio", weight_file()).split()[-1] == "300"
    else:
        assert r.returncode != 0
        assert "linux.resources.blockIO.weight" in r.stderr


def test_update_with_resources_file_and_stdin(berth, bundle, cid, tmp_path):
    pid = running(berth, bundle, cid, tmp_path)
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"memory": {"limit": 40 * MB}, "pids": {"limit": 17},
                             "cpu": {"shares": 300}}))
    berth.run("update", "--resources", str(f), cid)
    assert host(pid, "memory", "memory.limit_in_bytes") == str(40 * MB)
    assert host(pid, "pids", "pids.max") == "17"
    assert host(pid, "cpu", "cpu.shares") == "300"
    berth.run("update", "--resources", "-", cid,
              input=json.dumps({"memory": {"limit": 36 * MB}, "pids": {"limit": -1}}))
    assert host(pid, "memory", "memory.limit_in_bytes") == str(36 * MB)
    assert host(pid, "pids", "pids.max") == "max"
    assert host(pid, "cpu", "cpu.shares") == "300"  # untouched fields stay


def test_update_memory_above_memory_and_swap(berth, bundle, cid, tmp_path):
    pid = running(berth, bundle, cid, tmp_path, {"memory": {"limit": 64 * MB, "swap": 96 * MB}})
    r = berth.run("update", "--memory", "128m", cid, check=False)
    assert r.returncode != 0
    assert (f"linux.resources.memory.limit: {128 * MB} is above the memory+swap limit "
            f"{96 * MB}") in r.stderr
    assert host(pid, "memory", "memory.limit_in_bytes") == str(64 * MB)
    berth.run("update", "--memory", "128m", "--memory-swap", "256m", cid)
    assert host(pid, "memory", "memory.limit_in_bytes") == str(128 * MB)
    assert host(pid, "memory", "memory.memsw.limit_in_bytes") == str(256 * MB)
    berth.run("update", "--memory", "-1", cid)  # unlimited memory means unlimited swap (runc)
    assert int(host(pid, "memory", "memory.limit_in_bytes")) > 2**60
    assert int(host(pid, "memory", "memory.memsw.limit_in_bytes")) > 2**60


def test_update_errors(berth, bundle, cid, tmp_path):
    running(berth, bundle, cid, tmp_path)
    r = berth.run("update", "--memory", "lots", cid, check=False)
    assert r.returncode != 0 and "--memory" in r.stderr
    r = berth.run("update", "--resources", "-", cid, input="{not json", check=False)
    assert r.returncode != 0
    r = berth.run("update", "--pids-limit", "5", "no-such-container", check=False)
    assert r.returncode != 0 and "no-such-container" in r.stderr
    berth.run("kill", cid, "KILL")
    wait_status(berth, cid, "stopped")
    r = berth.run("update", "--pids-limit", "5", cid, check=False)
    assert r.returncode != 0
    assert r.stderr == f"berth: update: container '{cid}' is not running\n"


# ---- events --------------------------------------------------------------------------------

def test_events_stats_has_runc_shape(berth, bundle, cid, tmp_path):
    running(berth, bundle, cid, tmp_path, {"memory": {"limit": 64 * MB}, "pids": {"limit": 50}})
    ev = json.loads(berth.run("events", "--stats", cid).stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    data = ev["data"]
    assert set(data) >= {"cpu", "memory", "pids", "blkio", "hugetlb"}
    assert data["cpu"]["usage"]["total"] > 0
    assert len(data["cpu"]["usage"]["percpu"]) == os.cpu_count()
    assert data["memory"]["usage"]["limit"] == 64 * MB
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": 1, "limit": 50}
    assert isinstance(data["blkio"], dict)
    assert data["hugetlb"] == {}


def test_events_streams_stats_at_the_interval(berth, bundle, cid, tmp_path):
    running(berth, bundle, cid, tmp_path)
    ev = subprocess.Popen(berth.cmd("events", "--interval", "100ms", cid),
                          stdout=subprocess.PIPE, text=True)
    try:
        lines = [ev.stdout.readline() for _ in range(3)]
        berth.run("kill", cid, "KILL")
        ev.wait(timeout=10)  # the stream ends when the container stops
    finally:
        if ev.poll() is None:
            ev.kill()
            ev.wait()
    events = [json.loads(line) for line in lines]
    assert [(e["type"], e["id"]) for e in events] == [("stats", cid)] * 3
    assert events[2]["data"]["cpu"]["usage"]["total"] >= events[0]["data"]["cpu"]["usage"]["total"]


def test_events_stats_count_block_io(berth, bundle, cid, tmp_path):
    # O_DIRECT writes to the bundle's disk go through the block layer in this cgroup.
    b = bundle(["/bin/sh", "-c", "dd if=/dev/zero of=/tmp/f bs=4096 count=64 oflag=direct "
                "2>/dev/null && sync && sleep 30"])
    b.config["root"]["readonly"] = False
    b.save()
    create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    time.sleep(0.3)
    data = json.loads(berth.run("events", "--stats", cid).stdout)["data"]
    written = sum(e["value"] for e in data["blkio"].get("ioServiceBytesRecursive", [])
                  if e["op"] == "Write")
    if not os.path.exists(f"{CG}/blkio/berth/{cid}/blkio.throttle.io_service_bytes_recursive"):
        pytest.skip("no blkio throttle statistics on this kernel")
    assert written >= 64 * 4096
    # runc's BlkioStatEntry fields are all omitempty: minor 0 (vda) and zero values vanish.
    for e in data["blkio"]["ioServiceBytesRecursive"]:
        assert set(e) <= {"major", "minor", "op", "value"} and e["op"]


def test_events_of_a_missing_container_fails(berth):
    r = berth.run("events", "--stats", "no-such-container", check=False)
    assert r.returncode != 0 and "no-such-container" in r.stderr


# ---- kill --all, cgroupsPath, cleanup --------------------------------------------------------

@pytest.mark.parametrize("sig", ["KILL", "TERM"])
def test_kill_all_reaches_every_process(berth, bundle, cid, tmp_path, sig):
    # KILL goes through cgroup.kill of the unified hierarchy, TERM through freeze, signal
    # each pid, thaw. The init (a shell, pid 1 of its namespace) ignores TERM; its
    # children die and it leaves wait.
    b = with_resources(bundle, ["/bin/sh", "-c", "sleep 30 & sleep 30 & wait"], {})
    create(berth, b, cid, tmp_path / "out")
    berth.run("start", cid)
    procs = f"{CG}/pids/berth/{cid}/cgroup.procs"
    deadline = time.time() + 5
    while len(read(procs).split()) < 3 and time.time() < deadline:
        time.sleep(0.02)
    pids = read(procs).split()
    assert len(pids) == 3
    berth.run("kill", "--all", cid, sig)
    wait_status(berth, cid, "stopped")
    assert read(f"{CG}/freezer/berth/{cid}/freezer.state") == "THAWED"
    deadline = time.time() + 5
    while read(procs) and time.time() < deadline:
        time.sleep(0.02)
    assert read(procs) == ""


@pytest.mark.parametrize("kind", ["absolute", "relative", "default"])
def test_cgroups_path(berth, bundle, cid, tmp_path, kind):
    top = f"berth-test-{cid}"
    spec = {"absolute": f"/{top}/inner", "relative": f"{top}/inner", "default": None}[kind]
    b = bundle(["/bin/sh", "-c", "cat /proc/self/cgroup"])
    b.config["linux"]["resources"] = {"pids": {"limit": 9}}
    if spec:
        b.config["linux"]["cgroupsPath"] = spec
    b.save()
    mine = cgroups_of(os.getpid())
    try:
        pid = create(berth, b, cid, tmp_path / "out")
        seen = cgroups_of(pid)
        for ctrl in V1_CONTROLLERS:
            if kind == "absolute":
                want = f"/{top}/inner"
            elif kind == "relative":
                want = f"{mine[ctrl].rstrip('/')}/{top}/inner"
            else:
                want = f"/berth/{cid}"
            assert seen[ctrl] == want, ctrl
        assert read(f"{CG}/pids/{seen['pids']}/pids.max") == "9"
        berth.run("start", cid)
        wait_status(berth, cid, "stopped")
        inside = (tmp_path / "out").read_text()
        assert f"pids:{seen['pids']}\n" in inside
        berth.run("delete", cid)
        for ctrl in V1_CONTROLLERS:
            assert not os.path.exists(f"{CG}/{ctrl}/{seen[ctrl]}"), ctrl
    finally:
        for ctrl in os.listdir(CG):
            base = f"{CG}/{ctrl}/{mine.get(ctrl, '/') if kind == 'relative' else '/'}"
            for d in (f"{base}/{top}/inner", f"{base}/{top}"):
                if os.path.isdir(d):
                    os.rmdir(d)


def test_cgroups_path_naming_the_root_is_refused(berth, bundle, cid):
    b = bundle(["/bin/true"])
    b.config["linux"]["cgroupsPath"] = "/a/../.."
    b.save()
    err = create_fails(berth, b, cid)
    assert "linux.cgroupsPath" in err


def test_no_cgroup_left_after_delete(berth, bundle, cid, tmp_path):
    running(berth, bundle, cid, tmp_path, {"memory": {"limit": 64 * MB}})
    assert set(leftovers(f"/berth/{cid}")) >= set(V1_CONTROLLERS)
    berth.run("delete", "--force", cid)
    assert leftovers(f"/berth/{cid}") == []


def test_no_cgroup_left_after_a_failed_create(berth, bundle, cid):
    # The child fails in rootfs setup, after the cgroup was made and joined.
    b = with_resources(bundle, ["/bin/true"], {"memory": {"limit": 64 * MB}})
    b.config["mounts"].append({"destination": "/mnt", "type": "bind",
                               "source": "/nonexistent-berth-source", "options": ["bind"]})
    b.save()
    create_fails(berth, b, cid)
