"""Requirements of config.md (process, user, rlimits, hostname, root, mounts, hooks) and the
related runtime.md lifecycle rules for hooks, the fds rule of runtime-linux.md and the console
of config-linux.md, observed with the probe inside and from the host outside.
Each test only touches the containers, bundles and files its Context owns."""
import json
import os
import select
import socket
import threading
import time

from harness import Failed, expect, find_mount, host_ns, requirement

# ---------------------------------------------------------------------------------------------
# config.md
# ---------------------------------------------------------------------------------------------

@requirement("process-args-path", "MUST", "config.md#process",
             "args[0] has execvp's file semantics (found through PATH)")
def t_args_path(ctx):
    b = ctx.bundle(["probe"])
    b.process["env"] = ["PATH=/nowhere:/"]
    rep = ctx.probe(b)
    expect(rep["args"] == ["probe"], f"args {rep['args']}")


@requirement("process-env", "MUST", "config.md#process",
             "env is the process environment")
def t_env(ctx):
    b = ctx.bundle()
    b.process["env"] += ["CONF_A=1", "CONF_B=with space", "CONF_EMPTY="]
    rep = ctx.probe(b)
    missing = [e for e in b.process["env"] if e not in rep["env"]]
    expect(not missing, f"missing from the environment: {missing} (saw {rep['env']})")


@requirement("process-cwd", "MUST", "config.md#process",
             "cwd is the working directory of the executable")
def t_cwd(ctx):
    b = ctx.bundle()
    os.makedirs(os.path.join(b.rootfs, "work", "dir"))
    b.process["cwd"] = "/work/dir"
    rep = ctx.probe(b)
    expect(rep["cwd"] == "/work/dir", f"cwd {rep['cwd']!r}")


@requirement("process-cwd-created", "COMPAT", "config.md#process",
             "a cwd missing from the rootfs is created (runc/crun do; not a spec sentence)")
def t_cwd_created(ctx):
    b = ctx.bundle()
    b.process["cwd"] = "/not/there"
    rep = ctx.probe(b)
    expect(rep["cwd"] == "/not/there", f"cwd {rep['cwd']!r}")


@requirement("process-user", "MUST", "config.md#user",
             "uid, gid and additionalGids are the process's ids")
def t_user(ctx):
    b = ctx.bundle()
    b.process["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [20, 30]}
    rep = ctx.probe(b)
    expect((rep["uid"], rep["euid"], rep["suid"]) == (1000,) * 3, f"uids {rep['uid']}")
    expect((rep["gid"], rep["egid"], rep["sgid"]) == (1001,) * 3, f"gids {rep['gid']}")
    expect(sorted(set(rep["groups"]) - {1001}) == [20, 30], f"groups {rep['groups']}")


@requirement("process-umask", "MUST", "config.md#user",
             "umask is the process's umask")
def t_umask(ctx):
    b = ctx.bundle()
    b.process["user"]["umask"] = 0o027
    rep = ctx.probe(b)
    expect(rep["umask"] == 0o027, f"umask {oct(rep['umask'])}")


@requirement("process-capabilities", "MUST", "config.md#linux-process",
             "capability sets are exactly the configured ones")
def t_caps(ctx):
    # As uid 0, execve makes permitted = bounding (the kernel's root rule), so the sets are
    # checked for root with permitted = bounding, and for a non-root user through ambient.
    caps = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    few = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    for user, sets in (({"uid": 0, "gid": 0}, {"bounding": caps, "effective": caps,
                                                "permitted": caps, "inheritable": ["CAP_KILL"],
                                                "ambient": ["CAP_KILL"]}),
                       ({"uid": 1000, "gid": 1000}, {"bounding": caps + ["CAP_SYS_ADMIN"],
                                                      "effective": few, "permitted": few,
                                                      "inheritable": few, "ambient": few})):
        b = ctx.bundle()
        b.process["user"] = user
        b.process["capabilities"] = sets
        b.process["noNewPrivileges"] = False
        rep = ctx.probe(b)
        for kind, want in sets.items():
            got = sorted(rep["capabilities"][kind]["names"])
            expect(got == sorted(want), f"uid {user['uid']} {kind}: {got}, configured "
                   f"{sorted(want)}")


@requirement("process-capabilities-unknown", "SHOULD", "config.md#linux-process",
             "a capability the kernel cannot map is a warning, not a failure")
def t_caps_unknown(ctx):
    b = ctx.bundle()
    for kind in ("bounding", "effective", "permitted"):
        b.process["capabilities"][kind].append("CAP_CONFORMANCE_UNKNOWN")
    rep = ctx.probe(b)
    expect("CAP_KILL" in rep["capabilities"]["effective"]["names"],
           f"effective {rep['capabilities']['effective']['names']}")


@requirement("process-rlimits", "MUST", "config.md#posix-process",
             "getrlimit of each rlimits type matches the configured soft and hard values")
def t_rlimits(ctx):
    b = ctx.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 768},
                            {"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
                            {"type": "RLIMIT_NPROC", "soft": 1000, "hard": 2000}]
    rep = ctx.probe(b)
    for rl in b.process["rlimits"]:
        got = rep["rlimits"][rl["type"]]
        expect((got["soft"], got["hard"]) == (rl["soft"], rl["hard"]), f"{rl['type']}: {got}")


@requirement("process-rlimits-invalid", "MUST", "config.md#posix-process",
             "an rlimit type that maps to no kernel resource generates an error")
def t_rlimits_invalid(ctx):
    b = ctx.bundle()
    b.process["rlimits"] = [{"type": "RLIMIT_CONFORMANCE", "soft": 1, "hard": 1}]
    r = ctx.create(b, check=False)
    expect(r.returncode != 0, "create with an unknown rlimit exited 0")


@requirement("process-no-new-privileges", "MUST", "config.md#linux-process",
             "noNewPrivileges true sets no_new_privs; false leaves it unset")
def t_nnp(ctx):
    b = ctx.bundle()
    b.process["noNewPrivileges"] = True
    expect(ctx.probe(b)["no_new_privs"] == 1, "no_new_privs is not set")
    b = ctx.bundle()
    b.process["noNewPrivileges"] = False
    expect(ctx.probe(b)["no_new_privs"] == 0, "no_new_privs is set though false")


@requirement("process-oom-score-adj", "MUST", "config.md#linux-process",
             "oomScoreAdj is written to the process's oom_score_adj")
def t_oom(ctx):
    b = ctx.bundle()
    b.process["oomScoreAdj"] = 345
    rep = ctx.probe(b)
    expect(rep["oom_score_adj"] == 345, f"oom_score_adj {rep['oom_score_adj']}")


@requirement("process-scheduler", "MUST", "config.md#linux-process (v1.1)",
             "scheduler policy and nice are the process's scheduling attributes")
def t_scheduler(ctx):
    b = ctx.bundle()
    b.process["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    rep = ctx.probe(b)
    sched = rep["scheduler"]
    expect(sched["policy"] == "SCHED_BATCH" and sched["nice"] == 5, f"scheduler {sched}")


@requirement("process-io-priority", "MUST", "config.md#linux-process (v1.1)",
             "ioPriority class and priority are the process's I/O priority")
def t_io_priority(ctx):
    b = ctx.bundle()
    b.process["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 3}
    rep = ctx.probe(b)
    expect(rep["ioprio"] == {"class": "IOPRIO_CLASS_BE", "priority": 3}, f"ioprio {rep['ioprio']}")


@requirement("hostname", "MUST", "config.md#hostname",
             "hostname is the container's hostname")
def t_hostname(ctx):
    b = ctx.bundle()
    b.config["hostname"] = "conf-host"
    rep = ctx.probe(b)
    expect(rep["hostname"] == "conf-host", f"hostname {rep['hostname']!r}")


@requirement("domainname", "MUST", "config.md#domainname",
             "domainname is the container's NIS domain name")
def t_domainname(ctx):
    b = ctx.bundle()
    b.config["domainname"] = "conf.example"
    rep = ctx.probe(b)
    expect(rep["domainname"] == "conf.example", f"domainname {rep['domainname']!r}")


@requirement("root-readonly", "MUST", "config.md#root",
             "root.readonly true makes the root filesystem read-only")
def t_root_readonly(ctx):
    b = ctx.bundle(probe_args=["create=/", "create=/tmp"])
    b.config["root"]["readonly"] = True
    rep = ctx.probe(b)
    expect(rep["create"]["/"] == "EROFS", f"creating in /: {rep['create']['/']}")
    b = ctx.bundle(probe_args=["create=/"])
    rep = ctx.probe(b)
    expect(rep["create"]["/"] == "ok", f"creating in / with readonly false: {rep['create']['/']}")


@requirement("mounts-order", "MUST", "config.md#mounts",
             "mounts are mounted in the listed order")
def t_mounts_order(ctx):
    b = ctx.bundle(probe_args=["stat=/mnt/a/b", "stat=/mnt/a/b/c"])
    b.config["mounts"] += [
        {"destination": "/mnt/a", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
        {"destination": "/mnt/a/b", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]},
        {"destination": "/mnt/a/b/c", "type": "tmpfs", "source": "tmpfs", "options": ["mode=750"]},
    ]
    rep = ctx.probe(b)
    points = [m["mount_point"] for m in rep["mounts"]]
    idx = [points.index(p) if p in points else -1 for p in ("/mnt/a", "/mnt/a/b", "/mnt/a/b/c")]
    expect(-1 not in idx and idx == sorted(idx), f"mount order {points}")
    expect(rep["stat"]["/mnt/a/b"].get("mode") == 0o700, f"/mnt/a/b: {rep['stat']['/mnt/a/b']}")


@requirement("mounts-options", "MUST", "config.md#mounts",
             "mount options (ro, nosuid, nodev, noexec, mode=) are applied")
def t_mounts_options(ctx):
    b = ctx.bundle(probe_args=["stat=/mnt/t", "create=/mnt/t"])
    b.config["mounts"].append({"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "nodev", "noexec", "mode=1750", "ro"]})
    rep = ctx.probe(b)
    m = find_mount(rep, "/mnt/t")
    expect(m is not None, "/mnt/t is not mounted")
    expect(m["fs_type"] == "tmpfs", f"/mnt/t is {m['fs_type']}")
    for opt in ("ro", "nosuid", "nodev", "noexec"):
        expect(opt in m["options"], f"/mnt/t options {m['options']} lack {opt}")
    expect(rep["stat"]["/mnt/t"]["mode"] == 0o1750, f"mode {oct(rep['stat']['/mnt/t']['mode'])}")
    expect(rep["create"]["/mnt/t"] == "EROFS", f"create in /mnt/t: {rep['create']['/mnt/t']}")


@requirement("mounts-bind", "MUST", "config.md#mounts",
             "a bind mount shows the source; ro makes it read-only, rw writable")
def t_mounts_bind(ctx):
    src = os.path.join(ctx.dir, "bindsrc")
    os.makedirs(src)
    with open(os.path.join(src, "file"), "w") as f:
        f.write("from the host\n")
    b = ctx.bundle(probe_args=["read=/mnt/ro/file", "create=/mnt/ro", "create=/mnt/rw"])
    b.config["mounts"] += [
        {"destination": "/mnt/ro", "type": "bind", "source": src, "options": ["rbind", "ro"]},
        {"destination": "/mnt/rw", "type": "bind", "source": src, "options": ["bind", "rw"]},
    ]
    rep = ctx.probe(b)
    expect(rep["read"]["/mnt/ro/file"].get("content") == "from the host\n",
           f"read: {rep['read']['/mnt/ro/file']}")
    expect(rep["create"]["/mnt/ro"] == "EROFS", f"create in ro bind: {rep['create']['/mnt/ro']}")
    expect(rep["create"]["/mnt/rw"] == "ok", f"create in rw bind: {rep['create']['/mnt/rw']}")


@requirement("hooks-order", "MUST", "config.md#posix-platform-hooks",
             "hooks run in lifecycle order, each type's entries in the listed order")
def t_hooks_order(ctx):
    b, log = hooked_bundle(ctx)
    cid = ctx.create(b)
    at_create = read_order(log)
    ctx.rt.ok("start", cid)
    at_start = read_order(log)
    ctx.wait_status(cid, "stopped")
    ctx.rt.ok("delete", cid)
    at_delete = read_order(log)
    want_create = ["prestart", "createRuntime-1", "createRuntime-2", "createContainer"]
    expect(at_create == want_create, f"after create: {at_create}, want {want_create}")
    want_start = want_create + ["startContainer", "poststart"]
    expect(at_start == want_start, f"after start: {at_start}, want {want_start}")
    expect(at_delete == want_start + ["poststop"], f"after delete: {at_delete}")


@requirement("hooks-state-stdin", "MUST", "config.md#posix-platform-hooks",
             "the container's state is passed to every hook on stdin")
def t_hooks_state(ctx):
    b, log = hooked_bundle(ctx)
    b.config["annotations"] = {"org.conformance.hook": "yes"}
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    ctx.wait_status(cid, "stopped")
    ctx.rt.ok("delete", cid)
    for name in ("prestart", "createRuntime-1", "createContainer", "startContainer",
                 "poststart", "poststop"):
        path = os.path.join(log, name + ".json")
        expect(os.path.exists(path), f"the {name} hook did not run")
        with open(path) as f:
            text = f.read()
        try:
            st = json.loads(text)
        except ValueError:
            raise Failed(f"{name} got no JSON on stdin: {text[:200]!r}")
        expect(st.get("id") == cid and st.get("ociVersion") and st.get("status") and
               os.path.realpath(st.get("bundle", "")) == os.path.realpath(b.path),
               f"{name} got {st}")
        with open(os.path.join(log, name + ".env")) as f:
            env = f.read().strip()
        expect(env == f"hook={name} arg0=conf-{name}", f"{name} hook args/env: {env!r}")


@requirement("hooks-create-failure", "MUST", "runtime.md#lifecycle",
             "a failing createRuntime hook makes create fail and the container is gone")
def t_hooks_failure(ctx):
    b = ctx.bundle(["/bin/true"])
    b.config["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}
    cid = ctx.new_id()
    r = ctx.create(b, cid=cid, check=False)
    expect(r.returncode != 0, "create exited 0 though a createRuntime hook failed")
    st = ctx.rt.state(cid)
    expect(st is None or st.get("status") == "stopped", f"state after the failed create: {st}")


@requirement("hooks-container-failure", "MUST", "runtime.md#lifecycle",
             "a failing createContainer (startContainer) hook makes create (start) fail, "
             "and the program never runs")
def t_hooks_container_failure(ctx):
    for kind in ("createContainer", "startContainer"):
        b = ctx.bundle(["/bin/sh", "-c", "echo ran > /ran"])
        b.config["hooks"] = {kind: [{"path": "/bin/false"}]}
        cid = ctx.new_id()
        r = ctx.create(b, cid=cid, check=False)
        if kind == "startContainer":
            expect(r.returncode == 0, f"create exited {r.returncode}: {r.stderr.strip()[-200:]}")
            r = ctx.rt.run("start", cid)
        time.sleep(0.2)
        ran = os.path.exists(os.path.join(b.rootfs, "ran"))
        expect(r.returncode != 0, f"{kind}: the operation exited 0 though the hook failed "
               f"(and the program {'ran' if ran else 'did not run'})")
        st = ctx.rt.state(cid)
        expect(st is None or st.get("status") == "stopped", f"{kind}: state after: {st}")
        expect(not ran, f"{kind}: the program ran though the hook failed")


@requirement("hooks-timeout", "MUST", "config.md#posix-platform-hooks",
             "a hook is aborted after its timeout (seconds): create fails, it does not hang")
def t_hooks_timeout(ctx):
    b = ctx.bundle(["/bin/true"])
    b.config["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "20"],
                                            "timeout": 1}]}
    started = time.monotonic()
    r = ctx.create(b, check=False)
    took = time.monotonic() - started
    expect(r.returncode != 0, "create exited 0 though its hook timed out")
    expect(took < 10, f"create took {took:.1f}s for a 1s hook timeout")


def hooked_bundle(ctx):
    """A bundle whose hooks append their name to <log>/order and save their stdin, args and env;
    the runtime-namespace hooks are host programs writing <log>, the container-namespace ones
    are the rootfs's busybox writing /hooklog (the same directory, bind-mounted)."""
    b = ctx.bundle(["/bin/true"])
    log = os.path.join(ctx.dir, f"hooklog{ctx.count}")
    os.mkdir(log)

    def hook(name, where):
        # The container-namespace hooks try the host path first: createContainer runs before
        # pivot_root (runtime.md), where the host's directories are still reachable.
        script = (f'd={log}; [ -d "$d" ] || d={where}; cat > "$d/{name}.json"; '
                  f'echo "hook=$CONF_HOOK arg0=$0" > "$d/{name}.env"; echo {name} >> "$d/order"')
        return {"path": "/bin/sh", "args": ["sh", "-c", script, f"conf-{name}"],
                "env": ["PATH=/bin:/usr/bin", f"CONF_HOOK={name}"]}

    b.config["mounts"].append({"destination": "/hooklog", "type": "bind", "source": log,
                               "options": ["rbind", "rw"]})
    b.config["hooks"] = {
        "prestart": [hook("prestart", log)],
        "createRuntime": [hook("createRuntime-1", log), hook("createRuntime-2", log)],
        "createContainer": [hook("createContainer", "/hooklog")],
        "startContainer": [hook("startContainer", "/hooklog")],
        "poststart": [hook("poststart", log)],
        "poststop": [hook("poststop", log)],
    }
    return b, log


def read_order(log):
    try:
        with open(os.path.join(log, "order")) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


@requirement("hooks-namespaces", "MUST", "config.md#posix-platform-hooks",
             "createRuntime runs in the runtime namespace, createContainer in the container's")
def t_hooks_namespaces(ctx):
    b = ctx.bundle(["/probe"])
    log = os.path.join(ctx.dir, "nslog")
    os.mkdir(log)

    def hook(name, where):
        return {"path": "/bin/sh", "args": ["sh", "-c", f'd={log}; [ -d "$d" ] || d={where}; '
                                            f'readlink /proc/self/ns/mnt > "$d/{name}"']}
    b.config["mounts"].append({"destination": "/nslog", "type": "bind", "source": log,
                               "options": ["rbind", "rw"]})
    b.config["hooks"] = {"createRuntime": [hook("createRuntime", log)],
                         "createContainer": [hook("createContainer", "/nslog")]}
    rep = ctx.probe(b)
    with open(os.path.join(log, "createRuntime")) as f:
        runtime_ns = f.read().strip()
    with open(os.path.join(log, "createContainer")) as f:
        container_ns = f.read().strip()
    expect(runtime_ns == host_ns("mnt"), f"createRuntime ran in {runtime_ns}, the runtime's "
           f"mount namespace is {host_ns('mnt')}")
    expect(container_ns == rep["namespaces"]["mnt"], f"createContainer ran in {container_ns}, "
           f"the container's mount namespace is {rep['namespaces']['mnt']}")


@requirement("hooks-poststart-failure", "MUST", "runtime.md#lifecycle",
             "a failing poststart hook is a warning: the other hooks and the lifecycle go on")
def t_hooks_poststart_failure(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    mark = os.path.join(ctx.dir, "second-poststart")
    b.config["hooks"] = {"poststart": [{"path": "/bin/false"},
                                       {"path": "/bin/touch", "args": ["touch", mark]}]}
    cid = ctx.create(b)
    ctx.rt.run("start", cid)
    st = ctx.rt.state(cid)
    expect(st is not None and st["status"] == "running", f"state after start: {st}")
    expect(os.path.exists(mark), "the poststart hook after the failing one did not run")


@requirement("hooks-poststop-failure", "MUST", "runtime.md#lifecycle",
             "a failing poststop hook is a warning: the other hooks run, the container is deleted")
def t_hooks_poststop_failure(ctx):
    b = ctx.bundle(["/bin/true"])
    mark = os.path.join(ctx.dir, "second-poststop")
    b.config["hooks"] = {"poststop": [{"path": "/bin/false"},
                                      {"path": "/bin/touch", "args": ["touch", mark]}]}
    cid = ctx.run_to_end(b)
    ctx.rt.run("delete", cid)
    expect(os.path.exists(mark), "the poststop hook after the failing one did not run")
    expect(ctx.rt.state(cid) is None, "the container is still there after delete")


@requirement("process-args-required", "MUST", "config.md#process",
             "args is REQUIRED with at least one entry: an empty args generates an error")
def t_args_required(ctx):
    b = ctx.bundle([])
    r = ctx.create(b, check=False)
    expect(r.returncode != 0, "create with an empty process.args exited 0")


@requirement("root-path-missing", "MUST", "runtime.md#create",
             "a root.path that does not exist is invalid: create fails, leaves nothing")
def t_root_path_missing(ctx):
    b = ctx.bundle(["/bin/true"])
    b.config["root"]["path"] = "no-such-rootfs"
    cid = ctx.new_id()
    r = ctx.create(b, cid=cid, check=False)
    expect(r.returncode != 0, "create with a missing rootfs exited 0")
    expect(ctx.rt.state(cid) is None, "a failed create left a container behind")


@requirement("root-path-absolute", "MUST", "config.md#root",
             "root.path may be absolute as well as relative to the bundle")
def t_root_path_absolute(ctx):
    b = ctx.bundle(probe_args=["read=/conf-root-mark"])
    with open(os.path.join(b.rootfs, "conf-root-mark"), "w") as f:
        f.write("this rootfs\n")
    b.config["root"]["path"] = os.path.abspath(b.rootfs)
    rep = ctx.probe(b)
    expect(rep["read"]["/conf-root-mark"].get("content") == "this rootfs\n",
           f"read: {rep['read']['/conf-root-mark']}")


@requirement("fds-stdio-only", "MUST", "runtime-linux.md#file-descriptors",
             "by default only stdin, stdout and stderr are kept open for the process")
def t_fds(ctx):
    rep = ctx.probe(ctx.bundle())
    extra = {k: v for k, v in rep["fds"].items() if k not in ("0", "1", "2")}
    expect(not extra, f"extra open fds: {extra}")


@requirement("terminal-console", "MUST", "config-linux.md#default-devices",
             "with process.terminal, stdio is a pty and /dev/console is that pty")
def t_terminal(ctx):
    sock_path = os.path.join(ctx.dir, "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(1)
    listener.settimeout(20)
    got = {}

    def accept():
        try:
            conn, _ = listener.accept()
            with conn:
                _, fds, _, _ = socket.recv_fds(conn, 1024, 4)
                got["fds"] = fds
        except OSError as e:
            got["error"] = e
    thread = threading.Thread(target=accept)
    thread.start()
    b = ctx.bundle(probe_args=["stat=/dev/console"])
    b.process["terminal"] = True
    b.save()
    cid = ctx.new_id()
    try:
        r = ctx.rt.run("create", "--bundle", b.path, "--console-socket", sock_path, cid)
    finally:
        thread.join()
        listener.close()
    expect(r.returncode == 0, f"create exited {r.returncode}: {r.stderr.strip()[-300:]}")
    expect(got.get("fds"), f"no pty master on the console socket ({got.get('error')})")
    master = got["fds"][0]
    for extra in got["fds"][1:]:
        os.close(extra)
    data = b""
    try:
        ctx.rt.ok("start", cid)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                if b'"errors"' in data:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    finally:
        os.close(master)
    line = [x for x in data.decode(errors="replace").splitlines() if x.startswith("{")]
    expect(line, f"no report on the pty: {data[:200]!r}")
    rep = json.loads(line[-1])
    pts = {k: v for k, v in rep["fds"].items() if k in ("0", "1", "2")}
    expect(all(v.startswith("/dev/pts/") for v in pts.values()) and len(pts) == 3,
           f"stdio is not a pty: {pts}")
    expect(rep["controlling_tty"] is not None, "no controlling terminal")
    con = rep["stat"]["/dev/console"]
    expect(con.get("type") == "char" and con.get("major") == 136,
           f"/dev/console is not a pty: {con}")
