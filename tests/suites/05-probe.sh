#!/bin/bash
# The conformance probe, run on the host (no container): its output must be one valid JSON object
# and agree with what Python and the host's tools see for the same process context. This checks
# the probe itself, so the conformance suite can trust it inside containers.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
probe=$top/conformance/probe
if [ ! -x "$probe" ]; then
	echo "05-probe: $probe is missing: build first"
	echo "0 passed, 1 failed"
	exit 1
fi
scratch=$(mktemp -d "${TMPDIR:-/tmp}/berth-probe.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Not exec: the EXIT trap must still remove the scratch directory.
/usr/bin/python3 - "$probe" "$scratch" "$(hostname)" <<'PYTHON'
import json, os, resource, subprocess, sys

probe, scratch, host_hostname = sys.argv[1], sys.argv[2], sys.argv[3]
passed = failed = 0


def run_probe(*args, env=None, pass_fds=(), cwd=None, umask=None):
    """Run the probe and return its parsed report (it must exit 0 and print exactly one object)."""
    def preexec():
        if umask is not None:
            os.umask(umask)
    out = subprocess.run([probe, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env, pass_fds=pass_fds, cwd=cwd, preexec_fn=preexec, check=False)
    assert out.returncode == 0, f"probe exited {out.returncode}: {out.stderr!r}"
    assert out.stdout.endswith(b"\n") and out.stdout.count(b"\n") == 1, "not one line of output"
    return json.loads(out.stdout)


def check(name, fn):
    global passed, failed
    try:
        fn()
        print(f"ok {name}")
        passed += 1
    except Exception as e:  # a failed check, whatever raised it, is reported and counted
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        failed += 1


base = {}


def test_output_is_one_json_object_with_every_section():
    base.update(run_probe())
    for key in ("uid", "gid", "euid", "groups", "umask", "cwd", "hostname", "domainname",
                "capabilities", "no_new_privs", "seccomp", "rlimits", "namespaces", "mounts",
                "env", "oom_score_adj", "cgroup", "personality", "cpu_affinity", "scheduler",
                "ioprio", "fds", "stat", "open", "create", "read", "sysctl", "errors"):
        assert key in base, f"missing {key}"
    assert base["errors"] == [], base["errors"]


def test_ids_match_the_host():
    assert base["uid"] == os.getuid() == 0, base["uid"]
    assert base["euid"] == os.geteuid() and base["gid"] == os.getgid()
    assert sorted(base["groups"]) == sorted(os.getgroups()), base["groups"]


def test_hostname_matches_hostname_command():
    assert base["hostname"] == host_hostname, (base["hostname"], host_hostname)
    with open("/proc/sys/kernel/domainname") as f:
        assert base["domainname"] == f.read().rstrip("\n"), base["domainname"]


def status_fields():
    with open("/proc/self/status") as f:
        return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)


def test_capabilities_and_status_fields_match_proc():
    st = status_fields()
    for key, field in (("inheritable", "CapInh"), ("permitted", "CapPrm"), ("effective", "CapEff"),
                       ("bounding", "CapBnd"), ("ambient", "CapAmb")):
        cap = base["capabilities"][key]
        assert cap["hex"] == st[field].strip(), (key, cap["hex"], st[field])
        assert len(cap["names"]) == bin(int(cap["hex"], 16)).count("1"), key
    assert "CAP_SYS_ADMIN" in base["capabilities"]["effective"]["names"]
    assert base["no_new_privs"] == int(st["NoNewPrivs"])
    assert base["seccomp"]["mode"] == int(st["Seccomp"])


def test_rlimits_match_getrlimit():
    # The kernel numbers them in this order; Python lacks some of the names but takes numbers.
    order = ["CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE", "MEMLOCK", "AS",
             "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME"]
    assert list(base["rlimits"]) == ["RLIMIT_" + n for n in order], list(base["rlimits"])
    as_u64 = lambda v: v if v >= 0 else v + 2**64  # Python shows RLIM_INFINITY as -1
    for number, name in enumerate(order):
        soft, hard = resource.getrlimit(number)
        value = base["rlimits"]["RLIMIT_" + name]
        assert (value["soft"], value["hard"]) == (as_u64(soft), as_u64(hard)), name


def test_namespaces_match_readlink():
    names = sorted(os.listdir("/proc/self/ns"))
    assert sorted(base["namespaces"]) == names, base["namespaces"].keys()
    for name in names:
        assert base["namespaces"][name] == os.readlink(f"/proc/self/ns/{name}"), name


def test_mounts_match_mountinfo():
    with open("/proc/self/mountinfo") as f:
        lines = [line.split() for line in f]
    points = [bytes(l[4], "ascii").decode("unicode_escape").encode("latin-1").decode(
        "utf-8", "surrogateescape") for l in lines]
    assert [m["mount_point"] for m in base["mounts"]] == points
    for m, l in zip(base["mounts"], lines):
        dash = l.index("-", 6)
        assert m["fs_type"] == l[dash + 1] and m["options"] == l[5].split(","), m
        assert m["propagation"] == l[6:dash], m


def test_env_strings_are_escaped_and_exact():
    tricky = 'quote " backslash \\ tab \t newline \n bell \a unicode é'
    report = run_probe(env={"TRICKY": tricky, "PLAIN": "1"})
    assert report["env"] == [f"TRICKY={tricky}", "PLAIN=1"], report["env"]


def test_invalid_utf8_survives_as_surrogate_escapes():
    raw = b"bytes \xff\xe9 and \xc3\xa9 and \xed\xa0\x80 end"
    path = os.path.join(scratch, "raw")
    with open(path, "wb") as f:
        f.write(raw)
    report = run_probe(f"read={path}")
    content = report["read"][path]["content"]
    assert os.fsencode(content) == raw, content


def test_umask_and_cwd_are_the_callers():
    cwd = os.path.join(scratch, "dir with space")
    os.mkdir(cwd)
    report = run_probe(cwd=cwd, umask=0o027)
    assert report["umask"] == 0o027, report["umask"]
    assert report["cwd"] == cwd, report["cwd"]


def test_open_fds_are_listed_with_their_targets():
    path = os.path.join(scratch, "fd-target")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.dup2(fd, 9)
    try:
        report = run_probe(pass_fds=(9,))
    finally:
        os.close(9)
        os.close(fd)
    assert report["fds"].get("9") == path, report["fds"]
    assert sorted(report["fds"], key=int)[:3] == ["0", "1", "2"], report["fds"]


def test_stat_open_create_read_sysctl_requests():
    d = run_probe("stat=/dev/null", "stat=/nonexistent", "open=/dev/null", "open=/nonexistent",
                  f"create={scratch}", "create=/nonexistent", "read=/proc/sys/kernel/ostype",
                  "sysctl=kernel.hostname", "sysctl=kernel.ostype", "stat=/proc/self")
    # Compared with lstat rather than constants: this checks the probe, not the host's /dev.
    st = os.lstat("/dev/null")
    assert d["stat"]["/dev/null"] == {"type": "char", "mode": st.st_mode & 0o7777, "uid": st.st_uid,
                                      "gid": st.st_gid, "major": 1, "minor": 3}, d["stat"]["/dev/null"]
    assert d["stat"]["/nonexistent"] == {"error": "ENOENT"}
    assert d["stat"]["/proc/self"]["type"] == "symlink"
    assert d["stat"]["/proc/self"]["target"].isdigit()
    assert d["open"]["/dev/null"] == {"read": "ok", "write": "ok"}
    assert d["open"]["/nonexistent"] == {"read": "ENOENT", "write": "ENOENT"}
    assert d["create"] == {scratch: "ok", "/nonexistent": "ENOENT"}, d["create"]
    assert not any(n.startswith(".berth-probe") for n in os.listdir(scratch)), os.listdir(scratch)
    assert d["read"]["/proc/sys/kernel/ostype"] == {"content": "Linux\n"}
    assert d["sysctl"]["kernel.hostname"] == {"value": host_hostname}, d["sysctl"]
    assert d["sysctl"]["kernel.ostype"] == {"value": "Linux"}


def test_process_attributes_match_the_host():
    assert base["cpu_affinity"] == sorted(os.sched_getaffinity(0)), base["cpu_affinity"]
    with open("/proc/self/oom_score_adj") as f:
        assert base["oom_score_adj"] == int(f.read())
    with open("/proc/self/cgroup") as f:
        paths = [line.rstrip("\n").split(":", 2)[2] for line in f]
    assert [c["path"] for c in base["cgroup"]] == paths, base["cgroup"]
    assert base["personality"] == {"domain": "LINUX", "flags": 0}, base["personality"]
    policy = os.sched_getscheduler(0)
    names = {os.SCHED_OTHER: "SCHED_OTHER", os.SCHED_BATCH: "SCHED_BATCH", os.SCHED_IDLE: "SCHED_IDLE",
             os.SCHED_FIFO: "SCHED_FIFO", os.SCHED_RR: "SCHED_RR"}
    assert base["scheduler"]["policy"] == names[policy], base["scheduler"]
    assert base["scheduler"]["nice"] == os.getpriority(os.PRIO_PROCESS, 0)


def test_bad_argument_is_refused_with_exit_2():
    out = subprocess.run([probe, "nonsense"], capture_output=True, check=False)
    assert out.returncode == 2 and out.stdout == b"", out
    assert b"argument 'nonsense'" in out.stderr, out.stderr


for name, fn in list(globals().items()):
    if name.startswith("test_") and callable(fn):
        check(name, fn)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PYTHON
