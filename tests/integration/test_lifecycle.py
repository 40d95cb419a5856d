"""The lifecycle every client relies on (issue 2): spec, create, start, state, kill, delete,
run, list, features, --version, the pid file, logs, exit codes and leftovers."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import BERTH, mounts_under


def wait_status(berth, cid, status, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = berth.run("state", cid, check=False)
        if r.returncode == 0 and json.loads(r.stdout)["status"] == status:
            return
        time.sleep(0.02)
    assert berth.state(cid)["status"] == status


def test_spec_writes_a_runc_like_default(tmp_path):
    subprocess.run([BERTH, "spec", "--bundle", str(tmp_path)], check=True)
    cfg = json.loads((tmp_path / "config.json").read_text())
    assert cfg["ociVersion"] == "1.3.0"
    assert cfg["process"]["args"] == ["sh"]
    assert cfg["root"] == {"path": "rootfs", "readonly": True}
    assert {ns["type"] for ns in cfg["linux"]["namespaces"]} == {
        "pid", "network", "ipc", "uts", "mount"}


def test_spec_refuses_to_overwrite(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    r = subprocess.run([BERTH, "spec", "--bundle", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "exists" in r.stderr
    assert (tmp_path / "config.json").read_text() == "{}"


def test_run_exit_status_is_the_container_status(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "exit 3"])
    r = berth.run("run", "-b", b.path, cid, check=False)
    assert r.returncode == 3


def test_run_killed_by_sigkill_gives_137(berth, bundle, cid):
    # A pid namespace's init cannot be SIGKILLed from inside it, so kill it from outside.
    b = bundle(["/bin/sleep", "30"])
    run = subprocess.Popen(berth.cmd("run", "-b", b.path, cid))
    wait_status(berth, cid, "running")
    berth.run("kill", cid, "KILL")
    assert run.wait(timeout=10) == 137


def test_run_forwards_signals(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "trap 'exit 42' TERM; sleep 30 & wait"])
    run = subprocess.Popen(berth.cmd("run", "-b", b.path, cid))
    wait_status(berth, cid, "running")
    time.sleep(0.1)
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=10) == 42


def test_run_passes_stdio_through(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "read x; echo got:$x; echo err >&2"])
    r = berth.run("run", "-b", b.path, cid, input="hello\n")
    assert r.stdout == "got:hello\n"
    assert r.stderr == "err\n"


def test_run_deletes_the_container_unless_keep(berth, bundle, cid):
    b = bundle(["/bin/true"])
    berth.run("run", "-b", b.path, cid)
    assert cid not in berth.run("list", "-q").stdout.split()
    berth.run("run", "--keep", "-b", b.path, cid)
    assert berth.state(cid)["status"] == "stopped"


def test_run_detach_returns_while_the_container_runs(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "--detach", "-b", b.path, cid)
    assert berth.state(cid)["status"] == "running"


def test_create_start_state_transitions(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "30"])
    pid_file = tmp_path / "pid"
    berth.run("create", "-b", b.path, "--pid-file", pid_file, cid)
    st = berth.state(cid)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["bundle"] == b.path
    assert st["pid"] > 0
    # The pid file holds the pid in decimal with no newline.
    assert pid_file.read_text() == str(st["pid"])
    berth.run("start", cid)
    assert berth.state(cid)["status"] == "running"
    berth.run("kill", cid, "KILL")
    wait_status(berth, cid, "stopped")
    assert berth.state(cid)["pid"] == 0
    berth.run("delete", cid)
    r = berth.run("state", cid, check=False)
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_start_twice_is_refused(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("create", "-b", b.path, cid)
    berth.run("start", cid)
    r = berth.run("start", cid, check=False)
    assert r.returncode == 1
    assert "already running" in r.stderr


def test_start_of_a_stopped_container_is_refused(berth, bundle, cid):
    b = bundle(["/bin/true"])
    berth.run("run", "--keep", "-b", b.path, cid)
    r = berth.run("start", cid, check=False)
    assert r.returncode == 1 and "stopped" in r.stderr


@pytest.mark.parametrize("sig", ["TERM", "SIGUSR1", "9", "10", "SIGRTMIN+1", "rtmax-2"])
def test_kill_takes_names_and_numbers(berth, bundle, cid, sig):
    # A pid namespace's init only gets the signals it handles: trap the ones we send.
    b = bundle(["/bin/sh", "-c", "trap 'exit 100' TERM USR1 35 62; sleep 30 & wait"])
    berth.run("run", "-d", "-b", b.path, cid)
    time.sleep(0.1)
    berth.run("kill", cid, sig)
    wait_status(berth, cid, "stopped")


def test_kill_of_a_stopped_container_says_not_running(berth, bundle, cid):
    b = bundle(["/bin/true"])
    berth.run("run", "--keep", "-b", b.path, cid)
    r = berth.run("kill", cid, "KILL", check=False)
    assert r.returncode == 1
    assert "container not running" in r.stderr


def test_kill_invalid_signal(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("create", "-b", b.path, cid)
    r = berth.run("kill", cid, "SIGNOPE", check=False)
    assert r.returncode == 1 and "invalid signal 'SIGNOPE'" in r.stderr


def test_kill_all_reaches_every_process(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "sleep 100 & sleep 100 & wait"])
    berth.run("run", "-d", "-b", b.path, cid)
    time.sleep(0.2)
    pids = json.loads(berth.run("ps", "--format", "json", cid).stdout)
    assert len(pids) >= 3
    berth.run("kill", "--all", cid, "KILL")
    wait_status(berth, cid, "stopped")
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split(") ")[1][0] in "ZX"


def test_delete_running_needs_force(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    pid = berth.state(cid)["pid"]
    r = berth.run("delete", cid, check=False)
    assert r.returncode == 1
    assert f"cannot delete container {cid} that is not stopped: running" in r.stderr
    berth.run("delete", "--force", cid)
    assert not os.path.exists(f"/proc/{pid}/cmdline") or \
        open(f"/proc/{pid}/cmdline").read() == ""
    assert not os.path.exists(os.path.join(berth.root, cid))


def test_delete_of_a_created_container_kills_its_init(berth, bundle, cid):
    b = bundle(["/bin/true"])
    berth.run("create", "-b", b.path, cid)
    pid = berth.state(cid)["pid"]
    berth.run("delete", cid)
    time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}/status") or "Z (zombie)" in open(
        f"/proc/{pid}/status").read()


def test_delete_force_of_a_missing_container_succeeds(berth):
    assert berth.run("delete", "--force", "never-existed").returncode == 0
    r = berth.run("delete", "never-existed", check=False)
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_duplicate_id_is_refused_and_the_first_survives(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("create", "-b", b.path, cid)
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode == 1
    assert "already exists" in r.stderr
    assert berth.state(cid)["status"] == "created"


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "a b"])
def test_invalid_ids_are_refused(berth, bundle, bad):
    b = bundle()
    r = berth.run("create", "-b", b.path, bad, check=False)
    assert r.returncode == 1
    assert "container id" in r.stderr


def test_unknown_id(berth):
    for cmd in (["state"], ["start"], ["kill"], ["delete"], ["ps"]):
        r = berth.run(*cmd, "nope", check=False)
        assert r.returncode == 1, cmd
        assert "container 'nope' does not exist" in r.stderr, cmd


def test_list_formats(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("create", "-b", b.path, cid)
    assert cid in berth.run("list", "-q").stdout.split()
    table = berth.run("list").stdout.splitlines()
    assert table[0].split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"]
    assert any(line.split()[0] == cid and line.split()[2] == "created" for line in table[1:])
    listed = json.loads(berth.run("list", "--format", "json").stdout)
    mine = [c for c in listed if c["id"] == cid]
    assert mine and mine[0]["status"] == "created" and mine[0]["bundle"] == b.path
    # The owner is the user who owns the state directory (as runc), looked up when shown.
    assert mine[0]["owner"] == "root" and berth.state(cid)["owner"] == "root"


def test_ps_lists_the_container_pids(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    pids = json.loads(berth.run("ps", "--format", "json", cid).stdout)
    assert pids == [berth.state(cid)["pid"]]
    table = berth.run("ps", cid).stdout.splitlines()
    assert table[0].split() == ["PID", "CMD"] and "sleep 30" in table[1]


def test_version_as_dockerd_parses_it():
    out = subprocess.run([BERTH, "--version"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].startswith("berth version ")
    assert out[1].startswith("commit: ")
    assert out[2] == "spec: 1.3.0"


def test_help_lists_every_command():
    out = subprocess.run([BERTH, "help"], capture_output=True, text=True, check=True).stdout
    for cmd in ("create", "start", "state", "kill", "delete", "run", "exec", "list", "ps",
                "pause", "resume", "update", "events", "spec", "features"):
        assert f"  {cmd} " in out


def test_features_document(berth):
    f = json.loads(berth.run("features").stdout)
    assert f["ociVersionMin"] == "1.0.0"
    assert f["ociVersionMax"] == "1.3.0"
    assert "createRuntime" in f["hooks"]
    assert "rbind" in f["mountOptions"]
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert set(f["linux"]["namespaces"]) >= {"pid", "mount", "network", "user", "uts", "ipc"}


def test_global_options_take_both_spellings(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/true"])
    r = subprocess.run([BERTH, f"--root={berth.root}", "run", f"--bundle={b.path}", cid],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_errors_are_logged_as_json_lines(berth, tmp_path):
    log = tmp_path / "log.json"
    r = subprocess.run([BERTH, "--root", berth.root, "--log", str(log), "--log-format", "json",
                        "state", "missing"], capture_output=True, text=True)
    assert r.returncode == 1
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert lines[-1]["level"] == "error"
    assert "does not exist" in lines[-1]["msg"]
    assert lines[-1]["time"].endswith("Z")


@pytest.mark.parametrize("mutate,message", [
    (lambda c: c.update(ociVersion="2.0.0"), "config.json: ociVersion: unsupported version '2.0.0'"),
    (lambda c: c.update(ociVersion="1.x"), "config.json: ociVersion: malformed version '1.x'"),
    (lambda c: c["process"].update(args=[]), "config.json: process.args: must be a non-empty array"),
    (lambda c: c["process"].update(args="sh"), "config.json: process.args: expected array"),
    (lambda c: c["process"].update(cwd="relative"), "config.json: process.cwd: must be an absolute path"),
    (lambda c: c["root"].update(path="missing"), "config.json: root.path:"),
    (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}), "linux.namespaces[5].type"),
    (lambda c: c["mounts"][0].pop("destination"), "config.json: mounts[0].destination: is required"),
])
def test_malformed_configs_fail_cleanly(berth, bundle, cid, mutate, message):
    b = bundle(["/bin/true"])
    mutate(b.config)
    b.save()
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not os.path.exists(os.path.join(berth.root, cid))


def test_invalid_json_names_the_file(berth, bundle, cid):
    b = bundle()
    with open(os.path.join(b.path, "config.json"), "w") as f:
        f.write('{"ociVersion": ')
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode == 1 and "config.json: invalid JSON" in r.stderr


def test_missing_executable_reports_runc_words(berth, bundle, cid):
    b = bundle(["/no/such/binary"])
    r = berth.run("run", "-b", b.path, cid, check=False)
    assert r.returncode != 0
    assert "no such file or directory" in r.stderr.lower()


def test_nothing_is_left_behind(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "sleep 30"])
    berth.run("run", "-d", "-b", b.path, cid)
    pid = berth.state(cid)["pid"]
    berth.run("delete", "--force", cid)
    assert mounts_under(b.path) == []
    assert not os.path.exists(os.path.join(berth.root, cid))
    assert not os.path.exists(f"/proc/{pid}/cmdline") or open(f"/proc/{pid}/cmdline").read() == ""
    for ctrl in ("memory", "pids", "cpu", "freezer"):
        assert not os.path.exists(f"/sys/fs/cgroup/{ctrl}/berth/{cid}")


def test_failed_create_leaves_nothing(berth, bundle, cid):
    b = bundle(["/bin/true"])
    b.config["mounts"].append({"destination": "/x", "type": "nosuchfs", "source": "none"})
    b.save()
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode == 1
    assert "nosuchfs" in r.stderr
    assert not os.path.exists(os.path.join(berth.root, cid))
    assert mounts_under(b.path) == []
    for ctrl in ("memory", "pids", "cpu", "freezer"):
        assert not os.path.exists(f"/sys/fs/cgroup/{ctrl}/berth/{cid}")


def test_extra_fds_do_not_reach_the_container(berth, bundle, cid):
    b = bundle(["/bin/ls", "/proc/self/fd"])
    r = subprocess.run(f"exec 3</dev/null 7</dev/null; {' '.join(berth.cmd('run', '-b', b.path, cid))}",
                       shell=True, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == ["0", "1", "2", "3"]  # 3 is ls's own directory fd


def test_preserve_fds_passes_them(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "cat <&3"])
    r = subprocess.run(f"exec 3<<<preserved; {' '.join(berth.cmd('run', '--preserve-fds', '1', '-b', b.path, cid))}",
                       shell=True, capture_output=True, text=True, executable="/bin/bash")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "preserved\n"


def test_hostname_env_cwd_and_user(berth, bundle, cid):
    b = bundle(["/bin/sh", "-c", "hostname; echo $FOO; pwd; id -u; id -g"])
    b.config["hostname"] = "boxy"
    b.config["process"]["env"].append("FOO=bar")
    b.config["process"]["cwd"] = "/tmp"
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    b.save()
    r = berth.run("run", "-b", b.path, cid)
    assert r.stdout.split() == ["boxy", "bar", "/tmp", "1000", "1000"]


def test_exec_runs_in_the_container(berth, bundle, cid):
    b = bundle(["/bin/sleep", "30"])
    b.config["hostname"] = "inside"
    b.save()
    berth.run("run", "-d", "-b", b.path, cid)
    r = berth.run("exec", cid, "/bin/sh", "-c", "hostname; echo $$; exit 5", check=False)
    assert r.returncode == 5
    name, pid = r.stdout.split()
    assert name == "inside" and int(pid) > 1
    r = berth.run("exec", "-e", "X=1", "--cwd", "/tmp", cid, "/bin/sh", "-c", "echo $X; pwd")
    assert r.stdout.split() == ["1", "/tmp"]


def test_exec_with_process_file(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    proc = {"args": ["/bin/sh", "-c", "echo from-process-json"], "cwd": "/",
            "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}
    (tmp_path / "p.json").write_text(json.dumps(proc))
    r = berth.run("exec", "--process", tmp_path / "p.json", cid)
    assert r.stdout == "from-process-json\n"


def test_exec_detach_writes_pid_file(berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "30"])
    berth.run("run", "-d", "-b", b.path, cid)
    berth.run("exec", "-d", "--pid-file", tmp_path / "p", cid, "/bin/sleep", "20")
    pid = int((tmp_path / "p").read_text())
    assert pid in json.loads(berth.run("ps", "--format", "json", cid).stdout)


def test_exec_into_a_stopped_container_fails(berth, bundle, cid):
    b = bundle(["/bin/true"])
    berth.run("run", "--keep", "-b", b.path, cid)
    r = berth.run("exec", cid, "/bin/true", check=False)
    assert r.returncode == 1 and "stopped" in r.stderr


def test_a_bundle_without_config_json_names_the_file(berth, bundle, cid):
    b = bundle(["/bin/true"])
    os.unlink(os.path.join(b.path, "config.json"))
    r = berth.run("create", "-b", b.path, cid, check=False)
    assert r.returncode == 1
    assert f"{b.path}/config.json: No such file or directory" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not os.path.exists(os.path.join(berth.root, cid))
