"""linux.namespaces, id maps, timeOffsets, hostname, domainname and sysctl (issue 3,
"Namespaces"), observed from inside with /probe."""
import os
import signal
import subprocess

import pytest

from rootfs_helpers import host_ns, probe, run, set_ns, shell, userns

ALL = ["pid", "network", "ipc", "uts", "mount", "cgroup", "time", "user"]
PROC_NAME = {"network": "net", "mount": "mnt"}


def test_every_namespace_type_is_new(berth, bundle, cid):
    def edit(c, b):
        for kind in ALL:
            set_ns(c, kind)
        userns(c, rootfs=b.rootfs)
    seen = probe(berth, bundle, cid, edit=edit)
    for kind in ALL:
        name = PROC_NAME.get(kind, kind)
        assert seen["namespaces"][name] != host_ns(name), kind
    assert seen["pid"] == 1


def test_namespaces_not_listed_are_shared_with_the_host(berth, bundle, cid):
    seen = probe(berth, bundle, cid)
    for name in ("user", "cgroup", "time"):
        assert seen["namespaces"][name] == host_ns(name)


@pytest.fixture
def holder():
    """A process in its own uts, ipc and net namespaces whose /proc/PID/ns/* are joined."""
    p = subprocess.Popen(["unshare", "--uts", "--ipc", "--net", "sleep", "60"])
    try:
        for _ in range(200):
            if os.readlink(f"/proc/{p.pid}/ns/uts") != host_ns("uts"):
                break
            subprocess.run(["sleep", "0.01"])
        yield p.pid
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()


def test_joining_namespaces_by_path(berth, bundle, cid, holder):
    def edit(c, b):
        for kind in ("uts", "ipc", "network"):
            set_ns(c, kind, f"/proc/{holder}/ns/{PROC_NAME.get(kind, kind)}")
        c.pop("hostname", None)
    seen = probe(berth, bundle, cid, edit=edit)
    for name in ("uts", "ipc", "net"):
        assert seen["namespaces"][name] == os.readlink(f"/proc/{holder}/ns/{name}")


def test_joining_a_path_that_is_not_a_namespace_fails(berth, bundle, cid):
    b = bundle()
    set_ns(b.config, "ipc", "/etc/hostname")
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "not a namespace file" in r.stderr


def test_user_namespace_with_several_ranges(berth, bundle, cid):
    def edit(c, b):
        userns(c, rootfs=b.rootfs)
        c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1000},
                                     {"containerID": 1000, "hostID": 300000, "size": 10}]
        c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 1000},
                                     {"containerID": 1000, "hostID": 400000, "size": 10}]
    seen = probe(berth, bundle, cid, "read=/proc/self/uid_map", "read=/proc/self/gid_map",
                 edit=edit)
    uid = [line.split() for line in seen["read"]["/proc/self/uid_map"]["content"].splitlines()]
    gid = [line.split() for line in seen["read"]["/proc/self/gid_map"]["content"].splitlines()]
    assert uid == [["0", "100000", "1000"], ["1000", "300000", "10"]]
    assert gid == [["0", "100000", "1000"], ["1000", "400000", "10"]]
    assert seen["uid"] == 0


def test_user_namespace_needs_mappings(berth, bundle, cid):
    b = bundle()
    set_ns(b.config, "user")
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "linux.uidMappings, linux.gidMappings: required" in r.stderr


def test_time_offsets_shift_the_clocks(berth, bundle, cid):
    def edit(c, b):
        set_ns(c, "time")
        c["linux"]["timeOffsets"] = {"boottime": {"secs": 10 * 365 * 86400, "nanosecs": 0},
                                     "monotonic": {"secs": 7 * 86400, "nanosecs": 0}}
    r = shell(berth, bundle, cid, "cut -d' ' -f1 /proc/uptime", edit=edit)
    host_uptime = float(open("/proc/uptime").read().split()[0])
    assert float(r.stdout) - host_uptime > 10 * 365 * 86400 - 60


def test_time_offsets_need_a_time_namespace(berth, bundle, cid):
    b = bundle()
    b.config["linux"]["timeOffsets"] = {"boottime": {"secs": 1, "nanosecs": 0}}
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "linux.timeOffsets: needs a new time namespace" in r.stderr


def test_hostname_and_domainname(berth, bundle, cid):
    def edit(c, b):
        c["hostname"] = "box"
        c["domainname"] = "example.org"
    seen = probe(berth, bundle, cid, edit=edit)
    assert (seen["hostname"], seen["domainname"]) == ("box", "example.org")


def test_hostname_needs_a_uts_namespace(berth, bundle, cid):
    b = bundle()
    b.config["hostname"] = "box"
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "uts"]
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "hostname: needs a uts namespace" in r.stderr


def test_sysctls_of_owned_namespaces_are_written(berth, bundle, cid):
    def edit(c, b):
        c["linux"]["sysctl"] = {"kernel.shmmni": "1234", "net.ipv4.ip_forward": "1",
                                "net/ipv4/conf/lo/forwarding": "1"}
    seen = probe(berth, bundle, cid, "sysctl=kernel.shmmni", "sysctl=net.ipv4.ip_forward",
                 edit=edit)
    assert seen["sysctl"]["kernel.shmmni"]["value"] == "1234"
    assert seen["sysctl"]["net.ipv4.ip_forward"]["value"] == "1"
    assert open("/proc/sys/kernel/shmmni").read().strip() != "1234"


@pytest.mark.parametrize("key,drop,message", [
    ("kernel.pid_max", None, "'kernel.pid_max' is not in a namespace the container owns"),
    ("vm.swappiness", None, "'vm.swappiness' is not in a namespace the container owns"),
    ("net.ipv4.ip_forward", "network", "'net.ipv4.ip_forward' needs a network namespace"),
    ("kernel.shmmax", "ipc", "'kernel.shmmax' needs a ipc namespace"),
    ("net.ipv4.../../../kernel/pid_max", None, "invalid key"),
])
def test_sysctls_outside_the_containers_namespaces_are_refused(berth, bundle, cid, key, drop,
                                                                message):
    before = open("/proc/sys/kernel/pid_max").read()
    b = bundle()
    b.config["linux"]["sysctl"] = {key: "1"}
    if drop:
        b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                           if n["type"] != drop]
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and message in r.stderr
    assert open("/proc/sys/kernel/pid_max").read() == before


def test_unknown_namespace_type_is_refused(berth, bundle, cid):
    b = bundle()
    b.config["linux"]["namespaces"].append({"type": "sideways"})
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "unknown namespace type 'sideways'" in r.stderr
