"""linux.seccomp: profiles applied inside real containers, the notify agent, the filter cache
and the errors for malformed profiles."""
import errno
import json
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seccomp_profiles import docker_sized_profile  # noqa: E402

AGENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "seccomp-agent.py")
SIGSYS = 31
NR_MKDIR = 83  # x86_64


def with_seccomp(bundle, args, profile):
    b = bundle(args=args)
    b.config["root"]["readonly"] = False  # the tests write to /tmp and look in the rootfs
    b.config["linux"]["seccomp"] = profile
    return b.save()


def run(berth, b, cid, **kw):
    return berth.run("run", "--bundle", b.path, cid, check=False, **kw)


def allow_but(names, action, **extra):
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [dict({"names": names, "action": action}, **extra)]}


MKDIR = ["mkdir", "mkdirat"]


def test_denied_syscall_returns_the_configured_errno(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/denied"],
                     allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV))
    r = run(berth, b, cid)
    assert r.returncode != 0
    assert os.strerror(errno.EXDEV) in r.stderr
    assert not os.path.exists(os.path.join(b.rootfs, "tmp", "denied"))


def test_errno_action_defaults_to_eperm(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/denied"], allow_but(MKDIR, "SCMP_ACT_ERRNO"))
    r = run(berth, b, cid)
    assert r.returncode != 0
    assert os.strerror(errno.EPERM) in r.stderr


def test_default_errno_ret_is_returned_for_unlisted_syscalls(berth, bundle, cid):
    profile = docker_sized_profile()
    profile["defaultErrnoRet"] = errno.EACCES
    # mount is not in the allow list: it gets the default action.
    b = with_seccomp(bundle, ["/bin/sh", "-c", "mount -t tmpfs none /tmp && echo mounted"],
                     profile)
    r = run(berth, b, cid)
    assert "mounted" not in r.stdout
    assert os.strerror(errno.EACCES) in r.stderr


def test_argument_rules_match_only_their_values(berth, bundle, cid):
    # chmod(path, mode): deny mode 0700 (EQ) and any mode with all "other" bits (MASKED_EQ).
    # (busybox mkdir -m always calls mkdir with 0777 and then chmod.)
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EXDEV,
         "args": [{"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"}]},
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EROFS,
         "args": [{"index": 1, "value": 0o007, "valueTwo": 0o007, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOTTY,
         "args": [{"index": 1, "value": 0o100, "op": "SCMP_CMP_LT"}]},
    ]}
    script = "touch /tmp/f; for m in 700 755 777 707 640 044; do chmod $m /tmp/f; echo $m=$?; done"
    b = with_seccomp(bundle, ["/bin/sh", "-c", script], profile)
    r = run(berth, b, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["700=1", "755=0", "777=1", "707=1", "640=0", "044=1"]
    for e in (errno.EXDEV, errno.EROFS, errno.ENOTTY):
        assert os.strerror(e) in r.stderr
    assert os.stat(os.path.join(b.rootfs, "tmp", "f")).st_mode & 0o777 == 0o640


def test_conditions_on_one_argument_are_alternatives(berth, bundle, cid):
    # Two conditions on the same index cannot both hold; runc makes each its own rule (OR).
    profile = allow_but(["chmod"], "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV, args=[
        {"index": 1, "value": 0o700, "op": "SCMP_CMP_EQ"},
        {"index": 1, "value": 0o711, "op": "SCMP_CMP_EQ"}])
    script = "touch /tmp/f; for m in 700 711 755; do chmod $m /tmp/f; echo $?; done"
    b = with_seccomp(bundle, ["/bin/sh", "-c", script], profile)
    r = run(berth, b, cid)
    assert r.stdout.split() == ["1", "1", "0"], r.stderr


def test_conditions_on_different_arguments_must_all_hold(berth, bundle, cid):
    # openat(dirfd, path, flags, mode): deny O_CREAT (0100) opens, but only with mode 0600;
    # the shell creates with 0666, so the rule must not match. With mode 0666 it must.
    def script_with(mode):
        return allow_but(["openat"], "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV, args=[
            {"index": 2, "value": 0o100, "valueTwo": 0o100, "op": "SCMP_CMP_MASKED_EQ"},
            {"index": 3, "value": mode, "op": "SCMP_CMP_EQ"}])
    cmd = ["/bin/sh", "-c", "echo x > /tmp/f; echo $?; cat /tmp/f"]
    r = run(berth, with_seccomp(bundle, cmd, script_with(0o600)), cid)
    assert r.stdout.split() == ["0", "x"], r.stderr
    subprocess.run(berth.cmd("delete", "--force", cid), capture_output=True)
    r = run(berth, with_seccomp(bundle, cmd, script_with(0o666)), cid)
    assert r.stdout.split()[0] == "1", r.stderr
    assert os.strerror(errno.EXDEV) in r.stderr


def test_kill_process_kills_with_sigsys(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], allow_but(MKDIR, "SCMP_ACT_KILL_PROCESS"))
    r = run(berth, b, cid)
    assert r.returncode == 128 + SIGSYS, (r.returncode, r.stderr)


@pytest.mark.parametrize("action,exit_code,message", [
    ("SCMP_ACT_KILL", 128 + SIGSYS, None),
    ("SCMP_ACT_KILL_THREAD", 128 + SIGSYS, None),  # the only thread: the process dies
    ("SCMP_ACT_TRAP", 128 + SIGSYS, None),  # SIGSYS, whose default action kills
    ("SCMP_ACT_TRACE", 1, os.strerror(errno.ENOSYS)),  # no tracer attached
    ("SCMP_ACT_LOG", 0, None),  # allowed, only logged
])
def test_each_action_has_its_effect(berth, bundle, cid, action, exit_code, message):
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], allow_but(MKDIR, action))
    r = run(berth, b, cid)
    assert r.returncode == exit_code, (r.returncode, r.stderr)
    if message:
        assert message in r.stderr
    assert os.path.isdir(os.path.join(b.rootfs, "tmp", "x")) == (exit_code == 0)


@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
def test_filter_flags_are_accepted(berth, bundle, cid, flag):
    # The flags change how the kernel treats the filter, not what it allows: the filter must
    # be loaded (Seccomp: 2) and still deny mkdir.
    profile = allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV)
    profile["flags"] = [flag]
    b = with_seccomp(bundle, ["/bin/sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/x"],
                     profile)
    r = run(berth, b, cid)
    assert "Seccomp:\t2" in r.stdout, r.stderr
    assert os.strerror(errno.EXDEV) in r.stderr


def test_listed_architectures_keep_the_native_one(berth, bundle, cid):
    profile = allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV)
    profile["architectures"] = ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], profile)
    r = run(berth, b, cid)
    assert os.strerror(errno.EXDEV) in r.stderr  # the x86_64 rule is there too


def test_docker_sized_profile_runs_a_shell(berth, bundle, cid):
    profile = docker_sized_profile()
    assert sum(len(s["names"]) for s in profile["syscalls"]) >= 300
    script = "echo hello; mkdir /tmp/d && ls /tmp; cat /proc/self/status | grep ^Seccomp:"
    b = with_seccomp(bundle, ["/bin/sh", "-c", script], profile)
    r = run(berth, b, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[:2] == ["hello", "d"]
    assert "Seccomp:\t2" in r.stdout


def test_docker_sized_profile_still_denies_what_it_leaves_out(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/sh", "-c", "unshare -n true; echo $?"],
                     docker_sized_profile())
    r = run(berth, b, cid)
    assert r.stdout.strip() == "1"
    assert os.strerror(errno.EPERM) in r.stderr


def test_unknown_syscall_names_are_skipped_with_a_warning(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"],
                     allow_but(["no_such_syscall", "mkdir", "mkdirat"], "SCMP_ACT_ERRNO"))
    r = run(berth, b, cid)
    assert "unknown syscall 'no_such_syscall'" in r.stderr
    assert os.strerror(errno.EPERM) in r.stderr  # the known names still apply


MALFORMED = [
    ({"defaultAction": "SCMP_ACT_BOGUS"}, "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_BOGUS'"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]},
     "linux.seccomp.architectures[0]: unknown architecture 'SCMP_ARCH_VAX'"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]},
     "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_BOGUS'"),
    (allow_but(["mkdir"], "SCMP_ACT_NOPE"), "linux.seccomp.syscalls[0].action: unknown action 'SCMP_ACT_NOPE'"),
    (allow_but(["mkdir"], "SCMP_ACT_KILL", errnoRet=1),
     "linux.seccomp.syscalls[0].action: SCMP_ACT_KILL takes no errno return code"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1},
     "linux.seccomp.defaultAction: SCMP_ACT_ALLOW takes no errno return code"),
    (allow_but(["mkdir"], "SCMP_ACT_ERRNO", errnoRet=70000),
     "linux.seccomp.syscalls[0].action: errno return code 70000 is out of range"),
    (allow_but(["mkdir"], "SCMP_ACT_ERRNO", args=[{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]),
     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range"),
    (allow_but(["mkdir"], "SCMP_ACT_ERRNO", args=[{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]),
     "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_LIKE'"),
    (allow_but([], "SCMP_ACT_ERRNO"), "linux.seccomp.syscalls[0].names: must not be empty"),
    (allow_but(["mkdir"], "SCMP_ACT_NOTIFY"),
     "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"),
    ({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/x.sock"},
     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
    ({"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "m"},
     "linux.seccomp.listenerMetadata: set without listenerPath"),
    ({"syscalls": []}, "linux.seccomp.defaultAction"),
    ({"defaultAction": 3}, "linux.seccomp.defaultAction"),
]


@pytest.mark.parametrize("profile,message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_malformed_profiles_are_refused_with_the_json_path(berth, bundle, cid, profile, message):
    b = with_seccomp(bundle, ["/bin/true"], profile)
    r = run(berth, b, cid)
    assert r.returncode != 0
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


# ---- notify --------------------------------------------------------------------------------

@pytest.fixture
def agent(tmp_path):
    """Start tests/seccomp-agent.py answering with the given errno; yields (socket, log)."""
    procs = []

    def start(answer, connections=1):
        sock, log = str(tmp_path / "agent.sock"), str(tmp_path / "agent.log")
        p = subprocess.Popen([sys.executable, AGENT, sock, log, str(answer), str(connections)],
                             stdout=subprocess.PIPE, text=True)
        procs.append(p)
        assert p.stdout.readline().strip() == "ready"
        return sock, log, p

    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_notify_agent_sees_the_syscall_and_answers_it(berth, bundle, cid, agent):
    sock, log, proc = agent(errno.EXDEV)
    profile = allow_but(MKDIR, "SCMP_ACT_NOTIFY")
    profile.update(listenerPath=sock, listenerMetadata="agent-metadata",
                   flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/notified"], profile)
    b.config["annotations"] = {"org.example.test": "notify"}
    b.save()
    r = run(berth, b, cid)
    proc.wait(timeout=10)
    assert r.returncode != 0
    assert os.strerror(errno.EXDEV) in r.stderr  # the agent's answer, not the kernel's
    assert not os.path.exists(os.path.join(b.rootfs, "tmp", "notified"))
    first, *calls = read_log(log)
    state = first["state"]
    assert first["nfds"] == 1
    assert state["fds"] == ["seccompFd"]
    assert state["metadata"] == "agent-metadata"
    assert state["ociVersion"]
    assert state["pid"] > 0
    assert state["state"]["id"] == cid
    assert state["state"]["status"] == "creating"
    assert state["state"]["pid"] == state["pid"]
    assert state["state"]["bundle"] == b.path
    assert state["state"]["annotations"] == {"org.example.test": "notify"}
    assert [c["nr"] for c in calls] == [NR_MKDIR]
    assert calls[0]["pid"] == state["pid"]


def test_notify_agent_can_fake_success(berth, bundle, cid, agent):
    sock, log, proc = agent(0)
    profile = allow_but(MKDIR, "SCMP_ACT_NOTIFY")
    profile["listenerPath"] = sock
    b = with_seccomp(bundle, ["/bin/sh", "-c", "mkdir /tmp/n && echo made"], profile)
    r = run(berth, b, cid)
    proc.wait(timeout=10)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "made"
    assert not os.path.exists(os.path.join(b.rootfs, "tmp", "n"))  # the agent said yes, did nothing


def test_notify_listener_that_is_not_there_fails_create(berth, bundle, cid, tmp_path):
    profile = allow_but(MKDIR, "SCMP_ACT_NOTIFY")
    profile["listenerPath"] = str(tmp_path / "nobody.sock")
    b = with_seccomp(bundle, ["/bin/true"], profile)
    r = run(berth, b, cid)
    assert r.returncode != 0
    assert "nobody.sock" in r.stderr


# ---- cache ---------------------------------------------------------------------------------

def cache_entries(berth):
    d = os.path.join(berth.root, "seccomp-cache")
    return {n: os.stat(os.path.join(d, n)) for n in os.listdir(d)} if os.path.isdir(d) else {}


def test_compiled_filter_is_cached_and_reused(berth, bundle, cid):
    profile = docker_sized_profile()
    profile["syscalls"][0]["names"].append("cache_test_%d" % os.getpid())  # a fresh key
    before = cache_entries(berth)
    b = with_seccomp(bundle, ["/bin/sh", "-c", "echo one"], profile)
    assert run(berth, b, cid).stdout.strip() == "one"
    added = {n: st for n, st in cache_entries(berth).items() if n not in before}
    assert len(added) == 1
    name, st = added.popitem()
    subprocess.run(berth.cmd("delete", "--force", cid), capture_output=True)
    b2 = with_seccomp(bundle, ["/bin/sh", "-c", "echo two"], profile)
    r = run(berth, b2, cid)
    assert r.stdout.strip() == "two"
    # A hit reads the entry; it does not write it again.
    again = cache_entries(berth)[name]
    assert (again.st_ino, again.st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    # The warning about the unknown name is repeated from the cache.
    assert "unknown syscall 'cache_test_" in r.stderr


def test_cache_entry_for_another_profile_is_not_trusted(berth, bundle, cid):
    profile = allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV)
    profile["syscalls"].append({"names": ["cache_probe_%d" % os.getpid()], "action": "SCMP_ACT_LOG"})
    before = cache_entries(berth)
    b = with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], profile)
    run(berth, b, cid)
    (name,) = [n for n in cache_entries(berth) if n not in before]
    path = os.path.join(berth.root, "seccomp-cache", name)
    # Forge a collision: same file name, same BPF, another stored profile text.
    data = bytearray(open(path, "rb").read())
    i = data.index(b"rule ")
    data[i:i + 5] = b"RULE "
    open(path, "wb").write(data)
    forged = os.stat(path)
    subprocess.run(berth.cmd("delete", "--force", cid), capture_output=True)
    r = run(berth, with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], profile), cid)
    assert os.strerror(errno.EXDEV) in r.stderr
    assert os.stat(path).st_ino != forged.st_ino  # recompiled and replaced


# ---- exec ----------------------------------------------------------------------------------

def test_exec_gets_the_container_profile(berth, bundle, cid):
    b = with_seccomp(bundle, ["/bin/sleep", "30"],
                     allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV))
    berth.run("run", "-d", "--bundle", b.path, cid)
    r = berth.run("exec", cid, "/bin/sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/e",
                  check=False)
    assert r.returncode != 0
    assert "Seccomp:\t2" in r.stdout
    assert os.strerror(errno.EXDEV) in r.stderr


def exec_under_agent(berth, bundle, cid, agent):
    """Run a container under a notify profile, exec mkdir in it; returns the init's pid, the
    exec's result and the agent's states and notifications."""
    sock, log, proc = agent(errno.EXDEV, connections=2)
    profile = allow_but(MKDIR, "SCMP_ACT_NOTIFY")
    profile["listenerPath"] = sock
    b = with_seccomp(bundle, ["/bin/sleep", "30"], profile)
    berth.run("run", "-d", "--bundle", b.path, cid)
    init_pid = berth.state(cid)["pid"]
    r = berth.run("exec", cid, "/bin/mkdir", "/tmp/e", check=False)
    berth.run("kill", cid, "KILL")
    proc.wait(timeout=10)
    entries = read_log(log)
    return (init_pid, r, [e["state"] for e in entries if "state" in e],
            [e for e in entries if "nr" in e])


def test_exec_sends_its_own_state_to_the_agent(berth, bundle, cid, agent):
    init_pid, r, states, calls = exec_under_agent(berth, bundle, cid, agent)
    assert os.strerror(errno.EXDEV) in r.stderr
    assert len(states) == 2 and states[0]["pid"] == init_pid
    assert states[1]["pid"] != init_pid and states[1]["state"]["id"] == cid
    assert [(c["nr"], c["pid"]) for c in calls] == [(NR_MKDIR, states[1]["pid"])]


def test_exec_state_names_the_running_container(berth, bundle, cid, agent):
    init_pid, _, states, _ = exec_under_agent(berth, bundle, cid, agent)
    assert states[1]["state"]["status"] == "running"
    assert states[1]["state"]["pid"] == init_pid


def test_cache_is_emptied_when_it_is_full(berth, bundle, cid):
    d = os.path.join(berth.root, "seccomp-cache")
    os.makedirs(d, exist_ok=True)
    for i in range(128):
        with open(os.path.join(d, "%016x.bpf" % i), "w") as f:
            f.write("stale")
    profile = allow_but(MKDIR, "SCMP_ACT_ERRNO", errnoRet=errno.EXDEV)
    profile["syscalls"].append({"names": ["trim_probe_%d" % os.getpid()], "action": "SCMP_ACT_LOG"})
    r = run(berth, with_seccomp(bundle, ["/bin/mkdir", "/tmp/x"], profile), cid)
    assert os.strerror(errno.EXDEV) in r.stderr
    assert len(os.listdir(d)) == 1  # only the entry just compiled


def test_features_lists_what_seccomp_supports(berth):
    f = json.loads(berth.run("features").stdout)["linux"]["seccomp"]
    assert f["enabled"] is True
    assert set(f["actions"]) == {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                 "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
                                 "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
    assert len(f["operators"]) == 7 and "SCMP_CMP_MASKED_EQ" in f["operators"]
    assert {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"} <= set(f["archs"])
    assert len(f["knownFlags"]) == 4
    assert set(f["supportedFlags"]) <= set(f["knownFlags"])
    # WAIT_KILLABLE_RECV, the newest, came with Linux 5.19.
    major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", os.uname().release).groups())
    if (major, minor) >= (5, 19):
        assert set(f["supportedFlags"]) == set(f["knownFlags"])
