"""OCI hooks (config.md "POSIX-platform Hooks"): all six kinds run, in order, with the state on
stdin, their args (args[0] is argv[0]), env and timeout; prestart, createRuntime,
createContainer and startContainer failures abort, poststart and poststop failures only warn.

Runtime-namespace hooks run the host's /bin/sh; createContainer and startContainer run in the
container's mount namespace, so their /bin/sh is the rootfs's busybox. Every hook appends to
one log, bind-mounted into the container at /hooklog."""
import json
import os
import subprocess
import tempfile
import time

import pytest

RUNTIME_KINDS = ("prestart", "createRuntime", "poststart", "poststop")
CONTAINER_KINDS = ("createContainer", "startContainer")


def logging_hook(kind, logdir, extra=""):
    """A hook that records its kind and the state it read on stdin as one JSON line."""
    where = "/hooklog" if kind in CONTAINER_KINDS else logdir
    script = (f'state=$(cat); printf \'{{"kind":"%s","state":%s}}\\n\' {kind} "$state" '
              f'>> {where}/log; {extra}')
    return {"path": "/bin/sh", "args": ["sh", "-c", script]}


def hooked_bundle(bundle, tmp_path, hooks, args=("/bin/true",)):
    logdir = tmp_path / "hooklog"
    logdir.mkdir(exist_ok=True)
    b = bundle(list(args))
    b.config["hooks"] = hooks
    b.config["mounts"].append({"destination": "/hooklog", "type": "bind",
                               "source": str(logdir), "options": ["rbind", "rw"]})
    b.save()
    return b, logdir


def create(berth, bundle_path, cid, check=True):
    """`berth create` with its stdio in files: the created init keeps the stdio it was given
    until it execs, so pipes would keep a captured run waiting."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        r = subprocess.run(berth.cmd("create", "-b", bundle_path, cid), stdin=subprocess.DEVNULL,
                           stdout=out, stderr=err, timeout=30)
        err.seek(0)
        r.stderr = err.read()
    if check:
        assert r.returncode == 0, r.stderr
    return r


def wait_stopped(berth, cid):
    deadline = time.time() + 10
    while berth.state(cid)["status"] != "stopped" and time.time() < deadline:
        time.sleep(0.02)
    assert berth.state(cid)["status"] == "stopped"


def read_log(logdir):
    path = logdir / "log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def all_kinds(logdir, extra=None):
    extra = extra or {}
    return {k: [logging_hook(k, str(logdir), extra.get(k, ""))]
            for k in RUNTIME_KINDS + CONTAINER_KINDS}


def test_all_six_kinds_run_in_order_with_the_state_on_stdin(berth, bundle, cid, tmp_path):
    logdir = tmp_path / "hooklog"
    b, _ = hooked_bundle(bundle, tmp_path, all_kinds(logdir), ["/bin/sleep", "10"])
    create(berth, b.path, cid)
    created = [e["kind"] for e in read_log(logdir)]
    assert sorted(created) == ["createContainer", "createRuntime", "prestart"]
    assert created.index("createRuntime") < created.index("createContainer")
    berth.run("start", cid)
    berth.run("kill", cid, "KILL")
    wait_stopped(berth, cid)
    berth.run("delete", cid)

    log = read_log(logdir)
    kinds = [e["kind"] for e in log]
    assert kinds[3:] == ["startContainer", "poststart", "poststop"]
    for e in log:
        assert e["state"]["id"] == cid
        assert e["state"]["bundle"] == b.path
        assert e["state"]["ociVersion"]
    by_kind = {e["kind"]: e["state"] for e in log}
    assert by_kind["createRuntime"]["status"] == "creating"
    assert by_kind["createContainer"]["status"] == "creating"
    assert by_kind["startContainer"]["status"] == "created"
    assert by_kind["poststart"]["pid"] == by_kind["createRuntime"]["pid"] > 0


def test_hook_args_and_env_are_its_own(berth, bundle, cid, tmp_path):
    out = tmp_path / "out"
    hook = {"path": "/bin/sh",
            "args": ["custom-argv0", "-c", f'echo "$0|$FOO|${{BERTH_HOOK_TEST:-unset}}" > {out}'],
            "env": ["FOO=bar", "PATH=/bin:/usr/bin"]}
    b = bundle(["/bin/true"])
    b.config["hooks"] = {"createRuntime": [hook]}
    b.save()
    berth.run("run", "-b", b.path, cid, env=dict(os.environ, BERTH_HOOK_TEST="leaked"))
    assert out.read_text() == "custom-argv0|bar|unset\n"


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_aborts_create_and_names_the_hook(berth, bundle, cid, tmp_path,
                                                              kind):
    logdir = tmp_path / "hooklog"
    hooks = all_kinds(logdir)
    hooks[kind].append({"path": "/bin/sh",
                        "args": ["sh", "-c", "echo went wrong >&2; exit 3"]})
    b, _ = hooked_bundle(bundle, tmp_path, hooks)
    r = create(berth, b.path, cid, check=False)
    assert r.returncode != 0
    assert f"hooks.{kind}[1] '/bin/sh': exited with status 3" in r.stderr
    assert "went wrong" in r.stderr
    assert not os.path.exists(os.path.join(berth.root, cid))
    assert "startContainer" not in [e["kind"] for e in read_log(logdir)]


def test_failing_start_container_hook_fails_start_and_stops_the_container(
        berth, bundle, cid, tmp_path):
    b = bundle(["/bin/sleep", "10"])
    b.config["hooks"] = {"startContainer": [{"path": "/bin/false"}]}
    b.save()
    create(berth, b.path, cid)
    r = berth.run("start", cid, check=False)
    assert r.returncode != 0
    assert "hooks.startContainer[0] '/bin/false': exited with status 1" in r.stderr
    wait_stopped(berth, cid)


def test_failing_poststart_and_poststop_hooks_only_warn(berth, bundle, cid, tmp_path):
    logdir = tmp_path / "hooklog"
    hooks = {"poststart": [{"path": "/bin/false"}, logging_hook("poststart", str(logdir))],
             "poststop": [{"path": "/bin/false"}, logging_hook("poststop", str(logdir))]}
    b, _ = hooked_bundle(bundle, tmp_path, hooks, ["/bin/true"])
    r = berth.run("run", "-b", b.path, cid)
    assert "hooks.poststart[0] '/bin/false'" in r.stderr
    assert "hooks.poststop[0] '/bin/false'" in r.stderr


def test_hook_timeout_kills_the_hook_and_fails_create(berth, bundle, cid, tmp_path):
    pidfile = tmp_path / "hookpid"
    b = bundle(["/bin/true"])
    b.config["hooks"] = {"createRuntime": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 30"],
         "timeout": 1}]}
    b.save()
    start = time.monotonic()
    r = create(berth, b.path, cid, check=False)
    assert time.monotonic() - start < 10
    assert r.returncode != 0
    assert "hooks.createRuntime[0] '/bin/sh': timed out after 1 s" in r.stderr
    hook_pid = int(pidfile.read_text())
    assert not os.path.exists(f"/proc/{hook_pid}"), "the timed-out hook is still running"


def test_hook_that_cannot_be_executed_names_the_path(berth, bundle, cid):
    b = bundle(["/bin/true"])
    b.config["hooks"] = {"prestart": [{"path": "/nonexistent/hook"}]}
    b.save()
    r = create(berth, b.path, cid, check=False)
    assert r.returncode != 0
    assert "hooks.prestart[0] '/nonexistent/hook': exec: No such file or directory" in r.stderr


@pytest.mark.parametrize("hook,message", [
    ({"path": "relative/hook"}, "path 'relative/hook' must be absolute"),
    ({"path": "/bin/true", "timeout": 0}, "timeout must be greater than zero"),
])
def test_invalid_hooks_are_refused_before_anything_runs(berth, bundle, cid, tmp_path, hook,
                                                        message):
    marker = tmp_path / "ran"
    b = bundle(["/bin/true"])
    b.config["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", f"touch {marker}"]}],
                         "poststop": [hook]}
    b.save()
    r = create(berth, b.path, cid, check=False)
    assert r.returncode != 0
    assert message in r.stderr
    assert not marker.exists()
