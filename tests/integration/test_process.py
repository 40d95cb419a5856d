"""process.*: user, capabilities, rlimits, noNewPrivileges, oomScoreAdj, scheduler, ioPriority,
personality, LSM labels, env, PATH lookup, cwd, fds and the session keyring, each observed from
inside a real container with /probe (conformance/probe)."""
import json
import os
import subprocess

import pytest


def have_cap(name):
    """Whether berth (running as this test's user) holds capability `name` in its bounding set."""
    bits = {"CAP_SYS_RESOURCE": 24, "CAP_SYS_NICE": 23}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return bool(int(line.split()[1], 16) >> bits[name] & 1)
    return False


def probe(berth, bundle, cid, edit=None, args=(), extra=()):
    """Run /probe in a container whose config `edit` changed; return its JSON report."""
    b = bundle(["/probe", *args])
    if edit:
        edit(b.config)
    b.save()
    r = berth.run(*extra, "run", "-b", b.path, cid)
    return json.loads(r.stdout)


def run_fails(berth, bundle, cid, edit, args=("/probe",)):
    """Run a container that must fail to start; return berth's stderr."""
    b = bundle(list(args))
    edit(b.config)
    b.save()
    r = berth.run("run", "-b", b.path, cid, check=False)
    assert r.returncode != 0, f"expected a failure, got stdout {r.stdout!r}"
    assert not os.path.exists(os.path.join(berth.root, cid)), "a failed run left its state"
    return r.stderr


def set_process(**fields):
    def edit(config):
        config["process"].update(fields)
    return edit


# ---- user ---------------------------------------------------------------------------------

def test_user_uid_gid_additional_gids_and_umask_are_applied(berth, bundle, cid):
    p = probe(berth, bundle, cid, set_process(
        user={"uid": 1000, "gid": 1001, "additionalGids": [5, 6], "umask": 0o077}))
    assert (p["uid"], p["euid"], p["suid"]) == (1000, 1000, 1000)
    assert (p["gid"], p["egid"], p["sgid"]) == (1001, 1001, 1001)
    assert sorted(p["groups"]) == [5, 6]
    assert p["umask"] == 0o077


def test_umask_defaults_to_0022(berth, bundle, cid):
    p = probe(berth, bundle, cid, set_process(user={"uid": 0, "gid": 0}))
    assert p["umask"] == 0o022
    assert p["groups"] == []


def test_home_comes_from_the_containers_passwd_when_env_has_none(berth, bundle, cid):
    # The template's /etc/passwd: user:x:1000:1000:user:/tmp:/bin/sh
    p = probe(berth, bundle, cid, set_process(user={"uid": 1000, "gid": 1000}))
    assert "HOME=/tmp" in p["env"]


def test_home_set_in_env_is_kept(berth, bundle, cid):
    def edit(config):
        config["process"]["user"] = {"uid": 1000, "gid": 1000}
        config["process"]["env"].append("HOME=/elsewhere")
    p = probe(berth, bundle, cid, edit)
    assert [e for e in p["env"] if e.startswith("HOME=")] == ["HOME=/elsewhere"]


def test_env_is_exactly_the_configs(berth, bundle, cid):
    def edit(config):
        config["process"]["env"] = ["PATH=/bin", "HOME=/", "A=b=c", "EMPTY="]
    assert probe(berth, bundle, cid, edit)["env"] == ["PATH=/bin", "HOME=/", "A=b=c", "EMPTY="]


def test_env_entry_without_equals_is_refused(berth, bundle, cid):
    def edit(config):
        config["process"]["env"].append("NOVALUE")
    assert "process.env[" in run_fails(berth, bundle, cid, edit)


# ---- capabilities -------------------------------------------------------------------------

def test_capability_sets_are_applied_as_given(berth, bundle, cid):
    caps = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SETUID"],
            "effective": ["CAP_KILL", "CAP_NET_RAW"],
            "permitted": ["CAP_KILL", "CAP_NET_RAW"],
            "inheritable": ["CAP_NET_RAW"],
            "ambient": ["CAP_NET_RAW"]}
    # Non-root, so what survives execve is exactly the ambient set (capabilities(7)).
    p = probe(berth, bundle, cid, set_process(capabilities=caps,
                                              user={"uid": 1000, "gid": 1000}))
    c = p["capabilities"]
    assert sorted(c["bounding"]["names"]) == sorted(caps["bounding"])
    assert c["inheritable"]["names"] == ["CAP_NET_RAW"]
    assert c["ambient"]["names"] == ["CAP_NET_RAW"]
    assert c["permitted"]["names"] == ["CAP_NET_RAW"]
    assert c["effective"]["names"] == ["CAP_NET_RAW"]


def test_root_gets_its_bounding_set_and_nothing_inheritable_by_default(berth, bundle, cid):
    p = probe(berth, bundle, cid)
    c = p["capabilities"]
    assert sorted(c["bounding"]["names"]) == ["CAP_AUDIT_WRITE", "CAP_KILL",
                                              "CAP_NET_BIND_SERVICE"]
    assert sorted(c["effective"]["names"]) == sorted(c["bounding"]["names"])
    assert c["inheritable"]["names"] == []
    # `berth spec` lists them as ambient without inheritable: the kernel cannot raise them,
    # and berth does not widen inheritable to make it (CVE-2022-29162).
    assert c["ambient"]["names"] == []


def test_absent_capabilities_leave_berths_own(berth, bundle, cid):
    def edit(config):
        del config["process"]["capabilities"]
    c = probe(berth, bundle, cid, edit)["capabilities"]
    with open("/proc/self/status") as f:
        ours = [line.split()[1] for line in f if line.startswith("CapBnd:")][0]
    assert c["bounding"]["hex"] == ours


def test_unknown_capability_is_refused_naming_the_set(berth, bundle, cid):
    def edit(config):
        config["process"]["capabilities"]["effective"].append("CAP_DOES_NOT_EXIST")
    err = run_fails(berth, bundle, cid, edit)
    assert "process.capabilities.effective[3]: unknown capability 'CAP_DOES_NOT_EXIST'" in err


@pytest.mark.skipif(have_cap("CAP_SYS_RESOURCE"), reason="the host grants CAP_SYS_RESOURCE")
def test_capability_berth_does_not_hold_is_an_error_not_a_smaller_container(
        berth, bundle, cid):
    def edit(config):
        config["process"]["capabilities"]["bounding"].append("CAP_SYS_RESOURCE")
    err = run_fails(berth, bundle, cid, edit)
    assert "process.capabilities.bounding: CAP_SYS_RESOURCE is not available" in err


def test_effective_outside_permitted_is_refused(berth, bundle, cid):
    def edit(config):
        config["process"]["capabilities"]["effective"].append("CAP_CHOWN")
        config["process"]["capabilities"]["bounding"].append("CAP_CHOWN")
    assert "CAP_CHOWN is not in permitted" in run_fails(berth, bundle, cid, edit)


def test_no_new_privileges_follows_the_config(berth, bundle, cid):
    assert probe(berth, bundle, cid, set_process(noNewPrivileges=True))["no_new_privs"] == 1


def test_no_new_privileges_false_is_not_set(berth, bundle, cid):
    assert probe(berth, bundle, cid, set_process(noNewPrivileges=False))["no_new_privs"] == 0


# ---- rlimits, oomScoreAdj -------------------------------------------------------------------

def test_rlimits_are_applied(berth, bundle, cid):
    p = probe(berth, bundle, cid, set_process(rlimits=[
        {"type": "RLIMIT_NOFILE", "soft": 256, "hard": 512},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 1000, "hard": 2000}]))
    assert p["rlimits"]["RLIMIT_NOFILE"] == {"soft": 256, "hard": 512}
    assert p["rlimits"]["RLIMIT_CORE"] == {"soft": 0, "hard": 0}
    assert p["rlimits"]["RLIMIT_NPROC"] == {"soft": 1000, "hard": 2000}


@pytest.mark.skipif(have_cap("CAP_SYS_RESOURCE"), reason="the host grants CAP_SYS_RESOURCE")
def test_raising_a_hard_rlimit_without_cap_sys_resource_names_the_rlimit(berth, bundle, cid):
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    err = run_fails(berth, bundle, cid, set_process(rlimits=[
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": hard + 1}]))
    assert f"process.rlimits[1]: RLIMIT_NOFILE: cannot raise the hard limit from {hard}" in err
    assert "Operation not permitted" in err


def test_unknown_and_duplicate_rlimits_are_refused(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(rlimits=[
        {"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]))
    assert "process.rlimits[0]: unknown type 'RLIMIT_NOPE'" in err
    err = run_fails(berth, bundle, cid, set_process(rlimits=[
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]))
    assert "process.rlimits[1]: RLIMIT_CORE is already set" in err


def test_soft_rlimit_above_hard_is_refused(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(rlimits=[
        {"type": "RLIMIT_NOFILE", "soft": 600, "hard": 500}]))
    assert "process.rlimits[0]: RLIMIT_NOFILE: soft limit 600 is above the hard limit" in err


def test_oom_score_adj_is_applied(berth, bundle, cid):
    assert probe(berth, bundle, cid, set_process(oomScoreAdj=523))["oom_score_adj"] == 523


@pytest.mark.skipif(have_cap("CAP_SYS_RESOURCE"), reason="the host grants CAP_SYS_RESOURCE")
def test_lowering_oom_score_adj_without_cap_sys_resource_is_an_error(berth, bundle, cid):
    assert "process.oomScoreAdj -100" in run_fails(berth, bundle, cid,
                                                   set_process(oomScoreAdj=-100))


# ---- scheduling, personality --------------------------------------------------------------

def test_scheduler_policy_and_nice_are_applied(berth, bundle, cid):
    s = probe(berth, bundle, cid, set_process(
        scheduler={"policy": "SCHED_BATCH", "nice": 7}))["scheduler"]
    assert (s["policy"], s["nice"]) == ("SCHED_BATCH", 7)


def test_scheduler_idle_with_reset_on_fork(berth, bundle, cid):
    s = probe(berth, bundle, cid, set_process(
        scheduler={"policy": "SCHED_IDLE", "flags": ["SCHED_FLAG_RESET_ON_FORK"]}))["scheduler"]
    assert s["policy"] == "SCHED_IDLE"
    assert "SCHED_FLAG_RESET_ON_FORK" in s["flags"]


def test_scheduler_priority_outside_fifo_and_rr_is_refused(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(
        scheduler={"policy": "SCHED_OTHER", "priority": 5}))
    assert "process.scheduler.priority" in err


def test_scheduler_unknown_policy_and_iso_are_refused(berth, bundle, cid):
    assert "unknown policy 'SCHED_NOPE'" in run_fails(
        berth, bundle, cid, set_process(scheduler={"policy": "SCHED_NOPE"}))
    assert "SCHED_ISO is not implemented" in run_fails(
        berth, bundle, cid, set_process(scheduler={"policy": "SCHED_ISO"}))


def test_io_priority_is_applied(berth, bundle, cid):
    io = probe(berth, bundle, cid, set_process(
        ioPriority={"class": "IOPRIO_CLASS_BE", "priority": 6}))["ioprio"]
    assert io == {"class": "IOPRIO_CLASS_BE", "priority": 6}


def test_io_priority_out_of_range_is_refused(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(
        ioPriority={"class": "IOPRIO_CLASS_BE", "priority": 8}))
    assert "process.ioPriority.priority: 8 is outside 0..7" in err


def test_personality_linux32_is_applied(berth, bundle, cid):
    def edit(config):
        config["linux"]["personality"] = {"domain": "LINUX32"}
    assert probe(berth, bundle, cid, edit)["personality"]["domain"] == "LINUX32"


def test_personality_unknown_domain_or_flag_is_refused(berth, bundle, cid):
    def domain(config):
        config["linux"]["personality"] = {"domain": "SVR4"}

    def flags(config):
        config["linux"]["personality"] = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}
    assert "linux.personality.domain: unknown domain 'SVR4'" in run_fails(
        berth, bundle, cid, domain)
    assert "linux.personality.flags[0]" in run_fails(berth, bundle, cid, flags)


# ---- LSM labels -----------------------------------------------------------------------------

def lsm_enabled(name):
    if name == "apparmor":
        try:
            with open("/sys/module/apparmor/parameters/enabled") as f:
                return f.read().startswith("Y")
        except OSError:
            return False
    return os.path.exists("/sys/fs/selinux/enforce")


@pytest.mark.skipif(lsm_enabled("apparmor"), reason="apparmor is enabled on this host")
def test_apparmor_profile_without_apparmor_is_an_error(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(apparmorProfile="berth-test"))
    assert "process.apparmorProfile 'berth-test': apparmor is not enabled" in err


@pytest.mark.skipif(lsm_enabled("selinux"), reason="selinux is enabled on this host")
def test_selinux_label_without_selinux_is_an_error(berth, bundle, cid):
    err = run_fails(berth, bundle, cid,
                    set_process(selinuxLabel="system_u:system_r:container_t:s0"))
    assert "process.selinuxLabel 'system_u:system_r:container_t:s0': selinux is not" in err


# ---- args, PATH, cwd, fds ---------------------------------------------------------------------

def test_args0_is_found_in_the_containers_path(berth, bundle, cid):
    def edit(config):
        config["process"]["args"] = ["probe", "read=/proc/self/comm"]
        config["process"]["env"] = ["PATH=/nowhere:/"]
    p = probe(berth, bundle, cid, edit)
    assert p["args"][0] == "probe"


def test_missing_executable_uses_runcs_words(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, lambda c: None, args=["no-such-program"])
    assert 'exec: "no-such-program": executable file not found in $PATH' in err


def test_missing_executable_path_says_no_such_file_or_directory(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, lambda c: None, args=["/bin/no-such-program"])
    assert "no such file or directory" in err


def test_non_executable_file_says_permission_denied(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, lambda c: None, args=["/etc/passwd"])
    assert 'exec: "/etc/passwd": permission denied' in err


def test_cwd_is_set_inside_the_container(berth, bundle, cid):
    assert probe(berth, bundle, cid, set_process(cwd="/tmp"))["cwd"] == "/tmp"


def test_missing_cwd_is_created_like_runc(berth, bundle, cid):
    assert probe(berth, bundle, cid, set_process(cwd="/new/work/dir"))["cwd"] == "/new/work/dir"


def test_relative_cwd_is_refused(berth, bundle, cid):
    err = run_fails(berth, bundle, cid, set_process(cwd="tmp"))
    assert "process.cwd" in err and "absolute" in err


def test_only_stdio_reaches_the_process(berth, bundle, cid):
    assert sorted(probe(berth, bundle, cid)["fds"]) == ["0", "1", "2"]


def test_preserve_fds_passes_exactly_the_first_n(berth, bundle, cid, tmp_path):
    b = bundle(["/probe"])
    (tmp_path / "three").write_text("x")
    (tmp_path / "four").write_text("y")
    cmd = " ".join(berth.cmd("run", "--preserve-fds", "1", "-b", b.path, cid))
    r = subprocess.run(["/bin/sh", "-c", f"exec 3<{tmp_path}/three 4<{tmp_path}/four; {cmd}"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    fds = json.loads(r.stdout)["fds"]
    assert sorted(fds) == ["0", "1", "2", "3"]
    assert fds["3"].endswith("/three")


# ---- session keyring ------------------------------------------------------------------------

def keyrings(berth, bundle, cid, *extra):
    """The keyrings the container's process sees in /proc/keys (which `berth spec` masks)."""
    b = bundle(["/probe", "read=/proc/keys"])
    b.config["linux"]["maskedPaths"].remove("/proc/keys")
    b.save()
    p = json.loads(berth.run("run", *extra, "-b", b.path, cid).stdout)
    return [line for line in p["read"]["/proc/keys"]["content"].splitlines()
            if " keyring " in line]


def test_process_gets_a_session_keyring_of_its_own(berth, bundle, cid):
    found = keyrings(berth, bundle, cid)
    assert any(line.endswith(f"_ses.{cid}: empty") for line in found), found


def test_no_new_keyring_keeps_the_callers_session_keyring(berth, bundle, cid):
    found = keyrings(berth, bundle, cid, "--no-new-keyring")
    assert found, "/proc/keys shows no keyring at all: the test cannot tell"
    assert not any(f"_ses.{cid}" in line for line in found)
