"""Regression tests for the runc/crun CVE classes of the process stage, each showing the attack
fails against berth."""
import hashlib
import json
import os
import subprocess
import tempfile
import time

import pytest


def create(berth, bundle_path, cid):
    """`berth create` with its stdio in a file (the init holds it until it execs)."""
    with tempfile.TemporaryFile("w+") as err:
        r = subprocess.run(berth.cmd("create", "-b", bundle_path, cid), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=30)
        err.seek(0)
        assert r.returncode == 0, err.read()


def running(berth, bundle, cid):
    """A started container whose init sleeps, to exec into."""
    b = bundle(["/bin/sleep", "60"])
    create(berth, b.path, cid)
    berth.run("start", cid)
    return b


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_cve_2019_5736_berth_init_exe_cannot_be_opened_from_the_container(berth, bundle, cid):
    """CVE-2019-5736: a container process opening /proc/<berth pid>/exe could overwrite the
    host's runtime binary. berth's init (still the berth binary, waiting for `start`) must be
    non-dumpable, so /proc/1/exe cannot be opened at all, for reading or writing."""
    before = sha256(berth.binary)
    b = bundle(["/bin/true"])
    create(berth, b.path, cid)
    r = berth.run("exec", cid, "/probe", "open=/proc/1/exe", "stat=/proc/1/exe",
                  "read=/proc/1/cmdline")
    p = json.loads(r.stdout)
    # Sanity: pid 1 really is berth's init, not the user's program.
    cmdline = p["read"]["/proc/1/cmdline"]["content"].split("\0")
    assert os.path.basename(cmdline[0]) == "berth" and "create" in cmdline, cmdline
    assert p["open"]["/proc/1/exe"]["write"] != "ok"
    assert p["open"]["/proc/1/exe"]["read"] != "ok"
    assert sha256(berth.binary) == before


def test_cve_2019_5736_exec_process_is_not_dumpable_before_it_execs(berth, bundle, cid):
    """The same for `exec`: while berth joins the container it is non-dumpable; after execve
    the process is the user's program (busybox), never the berth binary."""
    running(berth, bundle, cid)
    r = berth.run("exec", cid, "/bin/sh", "-c", "readlink /proc/self/exe")
    assert r.stdout.strip() == "/bin/busybox"


@pytest.mark.parametrize("fd", range(3, 10))
def test_cve_2024_21626_cwd_through_a_leaked_fd_is_refused(berth, bundle, cid, fd):
    """CVE-2024-21626: runc leaked an fd to the host's /sys/fs/cgroup into the init, and
    process.cwd=/proc/self/fd/N started the container with its cwd on the host. berth resolves
    cwd without magic links and checks it is inside the root: the run must fail (or, if it
    ran, its cwd must be inside the container)."""
    b = bundle(["/probe"])
    b.config["process"]["cwd"] = f"/proc/self/fd/{fd}"
    b.save()
    r = berth.run("run", "-b", b.path, cid, check=False)
    if r.returncode == 0:
        assert not json.loads(r.stdout)["cwd"].startswith("/sys"), r.stdout
    else:
        assert "process.cwd" in r.stderr


@pytest.mark.parametrize("fd", range(3, 8))
def test_cve_2024_21626_exec_cwd_through_a_leaked_fd_is_refused(berth, bundle, cid, fd):
    running(berth, bundle, cid)
    r = berth.run("exec", "--cwd", f"/proc/self/fd/{fd}", cid, "/probe", check=False)
    if r.returncode == 0:
        assert not json.loads(r.stdout)["cwd"].startswith("/sys"), r.stdout
    else:
        assert "process.cwd" in r.stderr


def test_cve_2024_21626_no_fd_but_stdio_reaches_run_or_exec(berth, bundle, cid):
    running(berth, bundle, cid)
    p = json.loads(berth.run("exec", cid, "/probe").stdout)
    assert sorted(p["fds"]) == ["0", "1", "2"], p["fds"]


def test_cve_2022_29162_exec_grants_no_inheritable_or_ambient_capabilities(berth, bundle, cid):
    """CVE-2022-29162 (runc) / CVE-2022-27650 (crun): exec gave processes inheritable
    capabilities, which a file with inheritable file capabilities turned into permitted ones.
    An exec'd process gets inheritable and ambient only when asked."""
    running(berth, bundle, cid)
    c = json.loads(berth.run("exec", cid, "/probe").stdout)["capabilities"]
    assert c["inheritable"]["names"] == []
    assert c["ambient"]["names"] == []
    user = json.loads(berth.run("exec", "-u", "1000:1000", cid, "/probe").stdout)
    assert user["uid"] == 1000
    assert user["capabilities"]["inheritable"]["names"] == []
    assert user["capabilities"]["permitted"]["names"] == []
    assert user["capabilities"]["effective"]["names"] == []
    assert "HOME=/tmp" in user["env"]


def test_cve_2022_29162_exec_with_cap_adds_it_without_making_it_inheritable(
        berth, bundle, cid):
    running(berth, bundle, cid)
    c = json.loads(berth.run("exec", "--cap", "CAP_NET_RAW", cid, "/probe").stdout)
    caps = c["capabilities"]
    assert "CAP_NET_RAW" in caps["effective"]["names"]
    assert caps["inheritable"]["names"] == []
    assert caps["ambient"]["names"] == []
