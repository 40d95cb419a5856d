"""Requirements of runtime.md (state and the create/start/kill/delete operations) and
runtime-linux.md (/dev symlinks), checked through the runtime's CLI and the probe.
Each test only touches the containers, bundles and files its Context owns."""
import os
import time

from harness import expect, requirement

# ---------------------------------------------------------------------------------------------
# runtime.md: state and operations
# ---------------------------------------------------------------------------------------------

@requirement("state-fields", "MUST", "runtime.md#state",
             "state has ociVersion, id, status, bundle (absolute) and pid when created/running")
def t_state_fields(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    cid = ctx.create(b)
    st = ctx.rt.state(cid)
    expect(st is not None, "state failed on a created container")
    expect(isinstance(st.get("ociVersion"), str) and st["ociVersion"], f"ociVersion: {st}")
    expect(st.get("id") == cid, f"id {st.get('id')!r} is not {cid!r}")
    expect(st.get("status") == "created", f"status {st.get('status')!r} after create")
    expect(os.path.isabs(st.get("bundle", "")) and
           os.path.realpath(st["bundle"]) == os.path.realpath(b.path),
           f"bundle {st.get('bundle')!r} is not the absolute bundle path {b.path}")
    expect(isinstance(st.get("pid"), int) and st["pid"] > 0, f"pid {st.get('pid')!r}")


@requirement("state-pid", "MUST", "runtime.md#state",
             "pid is the container process as seen by the host")
def t_state_pid(ctx):
    b = ctx.bundle(["/bin/sh", "-c", "/probe; exec sleep 60"])
    cid = ctx.create(b)
    pid = ctx.rt.state(cid)["pid"]
    ctx.rt.ok("start", cid)
    st = ctx.wait_status(cid, "running")
    expect(st.get("pid") == pid, f"pid changed from {pid} to {st.get('pid')} on start")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and '"errors"' not in b.output():
        time.sleep(0.05)
    rep = b.report()
    for kind in ("pid", "mnt"):
        seen = os.readlink(f"/proc/{pid}/ns/{kind}")
        expect(seen == rep["namespaces"][kind],
               f"/proc/{pid}/ns/{kind} is {seen}, the container's is {rep['namespaces'][kind]}")
    expect(rep["ppid"] == 1, f"the probe's parent is pid {rep['ppid']}, not the container's "
           "init (pid 1 of its pid namespace)")


@requirement("state-annotations", "SHOULD", "runtime.md#state",
             "annotations of the config are listed in the state")
def t_state_annotations(ctx):
    b = ctx.bundle(["/bin/true"])
    b.config["annotations"] = {"org.conformance.a": "1", "org.conformance.b": "two"}
    cid = ctx.create(b)
    st = ctx.rt.state(cid)
    expect(st.get("annotations") == b.config["annotations"],
           f"annotations in state: {st.get('annotations')!r}")


@requirement("state-unknown", "MUST", "runtime.md#query-state",
             "querying a container that does not exist generates an error")
def t_state_unknown(ctx):
    r = ctx.rt.run("state", ctx.new_id())
    expect(r.returncode != 0, f"state of an unknown id exited 0: {r.stdout[:200]!r}")


@requirement("create-duplicate", "MUST", "runtime.md#create",
             "an id that is not unique generates an error and no new container is created")
def t_create_duplicate(ctx):
    b1 = ctx.bundle(["/bin/sleep", "60"])
    cid = ctx.create(b1)
    before = ctx.rt.state(cid)
    b2 = ctx.bundle(["/bin/true"])
    r = ctx.create(b2, cid=cid, check=False)
    expect(r.returncode != 0, "a second create with the same id exited 0")
    after = ctx.rt.state(cid)
    expect(after is not None and after.get("pid") == before["pid"] and
           after.get("status") == "created" and after.get("bundle") == before["bundle"],
           f"the first container changed: {before} -> {after}")


@requirement("create-not-run", "MUST", "runtime.md#create",
             "create does not run the user-specified program; start does")
def t_create_not_run(ctx):
    b = ctx.bundle(["/bin/sh", "-c", "echo ran > /ran"])
    cid = ctx.create(b)
    time.sleep(0.3)
    marker = os.path.join(b.rootfs, "ran")
    expect(not os.path.exists(marker), "the program ran at create")
    ctx.rt.ok("start", cid)
    ctx.wait_status(cid, "stopped")
    expect(os.path.exists(marker), "the program did not run at start")


@requirement("create-config-frozen", "MUST", "runtime.md#create",
             "changes to config.json after create have no effect on the container")
def t_create_config_frozen(ctx):
    b = ctx.bundle()
    b.process["env"].append("CONF_MARK=before")
    cid = ctx.create(b)
    b.process["env"][-1] = "CONF_MARK=after"
    b.process["args"] = ["/bin/sh", "-c", "echo changed"]
    b.save()
    ctx.rt.ok("start", cid)
    ctx.wait_status(cid, "stopped")
    rep = b.report()
    expect("CONF_MARK=before" in rep["env"], f"env after the edit: {rep['env']}")


@requirement("create-error-no-state", "MUST", "runtime.md#operations",
             "an operation that fails leaves the environment as if never invoked")
def t_create_error_no_state(ctx):
    b = ctx.bundle(["/nonexistent/program"])
    b.process["rlimits"].append({"type": "RLIMIT_NOT_A_LIMIT", "hard": 1, "soft": 1})
    cid = ctx.new_id()
    r = ctx.create(b, cid=cid, check=False)
    expect(r.returncode != 0, "create of an invalid config exited 0")
    expect(ctx.rt.state(cid) is None, "a failed create left a container behind")
    left = [n for n in os.listdir(ctx.rt.root) if cid in n] if os.path.isdir(ctx.rt.root) else []
    expect(not left, f"a failed create left {left} in the state root")


@requirement("start-runs-process", "MUST", "runtime.md#start",
             "start runs the user-specified program as specified by process")
def t_start_runs(ctx):
    b = ctx.bundle(["/probe", "stat=/", "read=/etc/group"])
    rep = ctx.probe(b)
    expect(rep["args"] == ["/probe", "stat=/", "read=/etc/group"], f"args {rep['args']}")
    expect(rep["read"]["/etc/group"].get("content") == "root:x:0:\n", f"read {rep['read']}")


@requirement("start-not-created", "MUST", "runtime.md#start",
             "start of a container that is not created generates an error, no effect")
def t_start_not_created(ctx):
    b = ctx.bundle(["/bin/sh", "-c", "echo once"])
    cid = ctx.run_to_end(b)
    r = ctx.rt.run("start", cid)
    expect(r.returncode != 0, "start of a stopped container exited 0")
    time.sleep(0.2)
    expect(b.output().count("once") == 1, f"the program ran again: {b.output()!r}")
    r = ctx.rt.run("start", ctx.new_id())
    expect(r.returncode != 0, "start of an unknown id exited 0")


@requirement("start-running", "MUST", "runtime.md#start",
             "start of a running container generates an error and has no effect")
def t_start_running(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    st = ctx.wait_status(cid, "running")
    r = ctx.rt.run("start", cid)
    expect(r.returncode != 0, "a second start exited 0")
    st2 = ctx.rt.state(cid)
    expect(st2["status"] == "running" and st2["pid"] == st["pid"], f"state changed: {st2}")


@requirement("status-running", "MUST", "runtime.md#state",
             "status is running after start while the process runs")
def t_status_running(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    st = ctx.rt.state(cid)
    expect(st["status"] == "running", f"status {st['status']!r} right after start")


@requirement("status-stopped", "MUST", "runtime.md#lifecycle",
             "after the container process exits the status is stopped")
def t_status_stopped(ctx):
    b = ctx.bundle(["/bin/true"])
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    ctx.wait_status(cid, "stopped", timeout=10)


@requirement("kill-signal", "MUST", "runtime.md#kill",
             "kill sends the specified signal to the container process")
def t_kill_signal(ctx):
    b = ctx.bundle(["/bin/sh", "-c",
                    "trap 'echo got-TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done"])
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    deadline = time.monotonic() + 10
    while "ready" not in b.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    ctx.rt.ok("kill", cid, "TERM")
    ctx.wait_status(cid, "stopped")
    expect("got-TERM" in b.output(), f"the process did not see SIGTERM: {b.output()!r}")
    b2 = ctx.bundle(["/bin/sleep", "60"])
    cid2 = ctx.create(b2)
    ctx.rt.ok("start", cid2)
    ctx.rt.ok("kill", cid2, "9")
    ctx.wait_status(cid2, "stopped")


@requirement("kill-not-running", "MUST", "runtime.md#kill",
             "kill of a container neither created nor running generates an error")
def t_kill_not_running(ctx):
    r = ctx.rt.run("kill", ctx.new_id(), "KILL")
    expect(r.returncode != 0, "kill of an unknown id exited 0")
    b = ctx.bundle(["/bin/true"])
    cid = ctx.run_to_end(b)
    r = ctx.rt.run("kill", cid, "KILL")
    expect(r.returncode != 0, "kill of a stopped container exited 0")
    st = ctx.rt.state(cid)
    expect(st is not None and st["status"] == "stopped", f"state after the kill: {st}")


@requirement("kill-created", "MUST", "runtime.md#kill",
             "kill of a created container signals its process (it becomes stopped)")
def t_kill_created(ctx):
    b = ctx.bundle(["/bin/sh", "-c", "echo ran > /ran"])
    cid = ctx.create(b)
    ctx.rt.ok("kill", cid, "KILL")
    ctx.wait_status(cid, "stopped")
    expect(not os.path.exists(os.path.join(b.rootfs, "ran")), "the program ran after a kill")


@requirement("delete-running", "MUST", "runtime.md#delete",
             "delete of a container that is not stopped generates an error, no effect")
def t_delete_running(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    cid = ctx.create(b)
    ctx.rt.ok("start", cid)
    st = ctx.wait_status(cid, "running")
    r = ctx.rt.run("delete", cid)
    expect(r.returncode != 0, "delete of a running container exited 0")
    st2 = ctx.rt.state(cid)
    expect(st2 is not None and st2["status"] == "running" and st2["pid"] == st["pid"],
           f"state after the delete: {st2}")


@requirement("delete-created", "MUST", "runtime.md#delete",
             "delete of a created (not stopped) container generates an error, no effect")
def t_delete_created(ctx):
    b = ctx.bundle(["/bin/true"])
    cid = ctx.create(b)
    r = ctx.rt.run("delete", cid)
    st = ctx.rt.state(cid)
    expect(r.returncode != 0, f"delete of a created container exited 0 (state after: {st})")
    expect(st is not None and st["status"] == "created", f"state after the delete: {st}")


@requirement("delete-resources", "MUST", "runtime.md#delete",
             "delete removes what create made: the container is gone, and its cgroup")
def t_delete_resources(ctx):
    b = ctx.bundle()
    b.linux["cgroupsPath"] = f"/conformance-{os.getpid()}-{ctx.count}"
    cid = ctx.run_to_end(b)
    rep = b.report()
    paths = [os.path.join("/sys/fs/cgroup", c["controllers"][0], c["path"].lstrip("/"))
             for c in rep["cgroup"] if c["controllers"] and c["controllers"][0] in
             ("memory", "pids", "cpu,cpuacct", "devices", "freezer")]
    ctx.rt.ok("delete", cid)
    expect(ctx.rt.state(cid) is None, "state still answers after delete")
    left = [p for p in paths if os.path.isdir(p) and p.rstrip("/") != "/sys/fs/cgroup/" +
            p.split("/")[4]]
    expect(not left, f"cgroups left after delete: {left}")
    r = ctx.rt.run("delete", cid)
    expect(r.returncode != 0, "a second delete of the same id exited 0")


# ---------------------------------------------------------------------------------------------
# runtime-linux.md
# ---------------------------------------------------------------------------------------------

@requirement("dev-symlinks", "MUST", "runtime-linux.md#dev-symbolic-links",
             "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr link to /proc/self/fd[/0,1,2]")
def t_dev_symlinks(ctx):
    want = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
            "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}
    rep = ctx.probe(ctx.bundle(probe_args=[f"stat={p}" for p in want]))
    for path, target in want.items():
        st = rep["stat"][path]
        expect(st.get("type") == "symlink" and st.get("target") == target,
               f"{path}: {st}")
