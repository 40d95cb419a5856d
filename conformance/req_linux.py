"""Requirements of config-linux.md (namespaces, id mappings, devices, masked/read-only paths,
sysctl, propagation, cgroups, seccomp, personality) and features.md.
Each test only touches the containers, bundles, cgroups and helper processes its Context owns;
cgroups are the runtime's to remove on delete, which the suite checks, never does itself."""
import json
import os
import time

from harness import Failed, Skip, expect, find_mount, host_ns, requirement

# ---------------------------------------------------------------------------------------------
# config-linux.md
# ---------------------------------------------------------------------------------------------

@requirement("ns-new", "MUST", "config-linux.md#namespaces",
             "a namespace listed without a path is a new namespace")
def t_ns_new(ctx):
    rep = ctx.probe(ctx.bundle())
    same = [k for k in ("pid", "net", "ipc", "uts", "mnt", "cgroup")
            if rep["namespaces"].get(k) == host_ns(k)]
    expect(not same, f"shares the host's {same} namespace(s)")
    expect(rep["pid"] == 1, f"pid in the new pid namespace is {rep['pid']}")


@requirement("ns-inherit", "MUST", "config-linux.md#namespaces",
             "a namespace type not listed is inherited from the runtime")
def t_ns_inherit(ctx):
    b = ctx.bundle()
    b.linux["namespaces"] = [n for n in b.linux["namespaces"]
                             if n["type"] not in ("network", "ipc")]
    rep = ctx.probe(b)
    for k in ("net", "ipc"):
        expect(rep["namespaces"][k] == host_ns(k), f"{k} is {rep['namespaces'][k]}, host "
               f"{host_ns(k)}")


@requirement("ns-path", "MUST", "config-linux.md#namespaces",
             "a namespace with a path is joined")
def t_ns_path(ctx):
    p = ctx.helper(["unshare", "--net", "--uts", "sleep", "60"])
    deadline = time.monotonic() + 5
    while os.readlink(f"/proc/{p.pid}/ns/net") == host_ns("net") and time.monotonic() < deadline:
        time.sleep(0.02)
    b = ctx.bundle()
    b.config.pop("hostname")
    for n in b.linux["namespaces"]:
        if n["type"] == "network":
            n["path"] = f"/proc/{p.pid}/ns/net"
    rep = ctx.probe(b)
    want = os.readlink(f"/proc/{p.pid}/ns/net")
    expect(rep["namespaces"]["net"] == want, f"net {rep['namespaces']['net']}, want {want}")


@requirement("ns-duplicate", "MUST", "config-linux.md#namespaces",
             "a namespace type listed twice generates an error")
def t_ns_duplicate(ctx):
    b = ctx.bundle()
    b.linux["namespaces"].append({"type": "ipc"})
    r = ctx.create(b, check=False)
    expect(r.returncode != 0, "create with two ipc namespaces exited 0")


@requirement("time-offsets", "MUST", "config-linux.md#time-offsets (v1.1)",
             "a time namespace gets timeOffsets (boottime shifted by a year)")
def t_time_offsets(ctx):
    b = ctx.bundle(probe_args=["read=/proc/uptime"])
    b.linux["namespaces"].append({"type": "time"})
    b.linux["timeOffsets"] = {"boottime": {"secs": 365 * 86400, "nanosecs": 0}}
    rep = ctx.probe(b)
    expect(rep["namespaces"].get("time") != host_ns("time"), "no new time namespace")
    up = float(rep["read"]["/proc/uptime"].get("content", "0 0").split()[0])
    expect(up > 365 * 86400, f"uptime {up}s in the container: the boottime offset is missing")


@requirement("userns-mappings", "MUST", "config-linux.md#user-namespace-mappings",
             "uidMappings/gidMappings are the user namespace's id maps")
def t_userns(ctx):
    b = ctx.bundle(probe_args=["read=/proc/self/uid_map", "read=/proc/self/gid_map"])
    b.linux["namespaces"].append({"type": "user"})
    b.linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    b.linux["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/sys"]
    os.chmod(ctx.dir, 0o755)
    os.chmod(b.path, 0o755)
    rep = ctx.probe(b)
    uid_map = rep["read"]["/proc/self/uid_map"].get("content", "").split()
    gid_map = rep["read"]["/proc/self/gid_map"].get("content", "").split()
    expect(uid_map == ["0", "100000", "65536"], f"uid_map {uid_map}")
    expect(gid_map == ["0", "200000", "65536"], f"gid_map {gid_map}")
    expect(rep["namespaces"]["user"] != host_ns("user"), "no new user namespace")
    expect(rep["uid"] == 0, f"uid {rep['uid']}")


@requirement("devices", "MUST", "config-linux.md#devices",
             "configured devices are available with their type, numbers, mode and owner")
def t_devices(ctx):
    b = ctx.bundle(probe_args=["stat=/dev/conf-zero", "open=/dev/conf-zero"])
    b.linux["devices"] = [{"path": "/dev/conf-zero", "type": "c", "major": 1, "minor": 5,
                           "fileMode": 0o640, "uid": 1234, "gid": 4321}]
    b.linux["resources"]["devices"].append({"allow": True, "type": "c", "major": 1,
                                            "minor": 5, "access": "rwm"})
    rep = ctx.probe(b)
    st = rep["stat"]["/dev/conf-zero"]
    expect(st.get("type") == "char" and (st.get("major"), st.get("minor")) == (1, 5),
           f"/dev/conf-zero: {st}")
    expect(st.get("mode") == 0o640 and (st.get("uid"), st.get("gid")) == (1234, 4321),
           f"/dev/conf-zero mode/owner: {st}")
    expect(rep["open"]["/dev/conf-zero"]["read"] == "ok", f"open: {rep['open']}")


@requirement("devices-cgroup-order", "MUST", "config-linux.md#allowed-device-list",
             "resources.devices entries are applied in the listed order (the last match wins)")
def t_devices_cgroup_order(ctx):
    # c 1:12 and 1:13 have no driver (open gives ENXIO once the cgroup lets it through) and are
    # not among the default devices a runtime allows on its own; EPERM is the cgroup's refusal.
    b = ctx.bundle(probe_args=["open=/dev/conf-a", "open=/dev/conf-b"])
    b.linux["devices"] = [{"path": "/dev/conf-a", "type": "c", "major": 1, "minor": 12,
                           "fileMode": 0o666},
                          {"path": "/dev/conf-b", "type": "c", "major": 1, "minor": 13,
                           "fileMode": 0o666}]
    # deny all (from base_config), allow 1:12 rwm, then take write back; 1:13 never allowed.
    b.linux["resources"]["devices"] += [
        {"allow": True, "type": "c", "major": 1, "minor": 12, "access": "rwm"},
        {"allow": False, "type": "c", "major": 1, "minor": 12, "access": "w"},
    ]
    rep = ctx.probe(b)
    a, other = rep["open"]["/dev/conf-a"], rep["open"]["/dev/conf-b"]
    expect(a["read"] != "EPERM" and a["write"] == "EPERM",
           f"/dev/conf-a (1:12 allowed rwm, then w denied): {a}")
    expect(other["read"] == "EPERM" and other["write"] == "EPERM",
           f"/dev/conf-b (1:13, denied by the first rule only): {other}")


@requirement("default-devices", "MUST", "config-linux.md#default-devices",
             "/dev/null zero full random urandom tty ptmx are supplied and usable")
def t_default_devices(ctx):
    want = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
            "urandom": (1, 9), "tty": (5, 0)}
    b = ctx.bundle(probe_args=[f"stat=/dev/{d}" for d in want] +
                   [f"open=/dev/{d}" for d in ("null", "zero", "full", "random", "urandom")] +
                   ["stat=/dev/ptmx", "stat=/dev/pts/ptmx"])
    rep = ctx.probe(b)
    for d, num in want.items():
        st = rep["stat"][f"/dev/{d}"]
        expect(st.get("type") == "char" and (st.get("major"), st.get("minor")) == num,
               f"/dev/{d}: {st}")
    for d in ("null", "zero", "full", "random", "urandom"):
        expect(rep["open"][f"/dev/{d}"]["read"] == "ok", f"/dev/{d}: {rep['open'][f'/dev/{d}']}")
    ptmx = rep["stat"]["/dev/ptmx"]
    pts_ptmx = rep["stat"]["/dev/pts/ptmx"]
    ok = (ptmx.get("type") == "symlink" and ptmx.get("target") in ("pts/ptmx", "/dev/pts/ptmx")) \
        or (ptmx.get("type") == "char" and (ptmx.get("major"), ptmx.get("minor")) ==
            (pts_ptmx.get("major"), pts_ptmx.get("minor")))
    expect(ok, f"/dev/ptmx is not the container's pts/ptmx: {ptmx} / {pts_ptmx}")


@requirement("masked-paths", "MUST", "config-linux.md#masked-paths",
             "maskedPaths cannot be read in the container (files and directories)")
def t_masked(ctx):
    b = ctx.bundle(probe_args=["read=/etc/conf-secret", "read=/etc/conf-secretdir/inner",
                               "read=/proc/kcore"])
    os.makedirs(os.path.join(b.rootfs, "etc", "conf-secretdir"))
    for p in ("etc/conf-secret", "etc/conf-secretdir/inner"):
        with open(os.path.join(b.rootfs, p), "w") as f:
            f.write("secret\n")
    b.linux["maskedPaths"] += ["/etc/conf-secret", "/etc/conf-secretdir"]
    rep = ctx.probe(b)
    for p in ("/etc/conf-secret", "/etc/conf-secretdir/inner", "/proc/kcore"):
        got = rep["read"][p]
        expect("secret" not in got.get("content", "") and (got.get("content", "") == "" or
                                                              "error" in got),
               f"{p} is readable: {str(got)[:100]}")


@requirement("masked-readonly-missing", "COMPAT", "config-linux.md#masked-paths",
             "maskedPaths/readonlyPaths missing from the rootfs are skipped (runc/crun do)")
def t_masked_missing(ctx):
    b = ctx.bundle()
    b.linux["maskedPaths"] += ["/proc/conformance-none", "/conformance/none"]
    b.linux["readonlyPaths"] += ["/proc/conformance-none-ro", "/conformance/none-ro"]
    rep = ctx.probe(b)
    expect(rep["pid"] == 1, f"unexpected report {rep.get('pid')}")


@requirement("readonly-paths", "MUST", "config-linux.md#readonly-paths",
             "readonlyPaths are read-only in the container")
def t_readonly_paths(ctx):
    b = ctx.bundle(probe_args=["create=/conf-ro", "open=/conf-ro-file", "create=/tmp",
                               "open=/proc/sysrq-trigger"])
    os.makedirs(os.path.join(b.rootfs, "conf-ro"))
    with open(os.path.join(b.rootfs, "conf-ro-file"), "w") as f:
        f.write("x\n")
    b.linux["readonlyPaths"] += ["/conf-ro", "/conf-ro-file"]
    rep = ctx.probe(b)
    expect(rep["create"]["/conf-ro"] == "EROFS", f"create in /conf-ro: {rep['create']}")
    expect(rep["open"]["/conf-ro-file"]["write"] == "EROFS", f"open: {rep['open']}")
    expect(rep["open"]["/conf-ro-file"]["read"] == "ok", f"open: {rep['open']}")
    expect(rep["create"]["/tmp"] == "ok", f"create in /tmp: {rep['create']['/tmp']}")


@requirement("sysctl", "MUST", "config-linux.md#sysctl",
             "sysctl values are set in the container")
def t_sysctl(ctx):
    b = ctx.bundle(probe_args=["sysctl=net.ipv4.ip_forward", "sysctl=kernel.shmmni",
                               "sysctl=kernel.domainname"])
    b.linux["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}
    rep = ctx.probe(b)
    for k, v in b.linux["sysctl"].items():
        expect(rep["sysctl"][k].get("value", "").strip() == v, f"{k}: {rep['sysctl'][k]}")


@requirement("rootfs-propagation", "MUST", "config-linux.md#rootfs-mount-propagation",
             "rootfsPropagation sets the propagation of the container's root mount")
def t_rootfs_propagation(ctx):
    seen = {}
    for prop in ("private", "slave", "shared", "unbindable"):
        b = ctx.bundle()
        b.linux["rootfsPropagation"] = prop
        rep = ctx.probe(b)
        root = find_mount(rep, "/")
        tags = root["propagation"] if root else None
        seen[prop] = tags
        # A slave needs a master: when the rootfs's source mount is not shared the kernel
        # makes MS_SLAVE a private mount, so slave only means "not shared" here.
        ok = {"private": tags == [],
              "slave": tags is not None and not any(t.startswith("shared:") for t in tags),
              "shared": tags is not None and any(t.startswith("shared:") for t in tags),
              "unbindable": tags == ["unbindable"]}[prop]
        expect(ok, f"rootfsPropagation {prop}: / has {tags}")


@requirement("cgroups-path", "MUST", "config-linux.md#cgroups-path",
             "cgroupsPath places the container in that cgroup")
def t_cgroups_path(ctx):
    b = ctx.bundle()
    path = f"/conformance-{os.getpid()}-path"
    b.linux["cgroupsPath"] = path
    b.linux["namespaces"] = [n for n in b.linux["namespaces"] if n["type"] != "cgroup"]
    rep = ctx.probe(b)
    wrong = [c for c in rep["cgroup"] if c["controllers"] and
             c["controllers"][0] in ("memory", "pids", "devices") and c["path"] != path]
    expect(not wrong and any(c["controllers"] == ["pids"] for c in rep["cgroup"]),
           f"cgroups {rep['cgroup']}")


@requirement("resources-pids-memory", "MUST", "config-linux.md#control-groups",
             "pids.limit and memory.limit are applied to the container's cgroup")
def t_resources(ctx):
    b = ctx.bundle(["/bin/sleep", "60"])
    path = f"/conformance-{os.getpid()}-res"
    b.linux["cgroupsPath"] = path
    b.linux["resources"]["pids"] = {"limit": 42}
    b.linux["resources"]["memory"] = {"limit": 64 << 20}
    ctx.create(b)
    with open(f"/sys/fs/cgroup/pids{path}/pids.max") as f:
        pids = f.read().strip()
    with open(f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes") as f:
        mem = int(f.read())
    expect(pids == "42", f"pids.max {pids}")
    expect(mem == 64 << 20, f"memory.limit_in_bytes {mem}")


@requirement("seccomp", "MUST", "config-linux.md#seccomp",
             "the seccomp filter is loaded for the process (mode 2)")
def t_seccomp(ctx):
    b = ctx.bundle()
    b.linux["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                          "syscalls": [{"names": ["sethostname"], "action": "SCMP_ACT_ERRNO"}]}
    rep = ctx.probe(b)
    expect(rep["seccomp"]["mode"] == 2, f"seccomp {rep['seccomp']}")


@requirement("personality", "MUST", "config-linux.md#personality",
             "personality domain LINUX32 is set for the process")
def t_personality(ctx):
    b = ctx.bundle()
    b.linux["personality"] = {"domain": "LINUX32"}
    rep = ctx.probe(b)
    expect(rep["personality"]["domain"] == "LINUX32", f"personality {rep['personality']}")


# ---------------------------------------------------------------------------------------------
# features.md
# ---------------------------------------------------------------------------------------------

@requirement("features", "MUST", "features.md (v1.1)",
             "the features document has ociVersionMin/Max and well-formed known fields")
def t_features(ctx):
    r = ctx.rt.run("features")
    if r.returncode != 0:
        raise Skip(f"no features command: {r.stderr.strip()[:120]}")
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        raise Failed(f"features output is not JSON: {r.stdout[:200]!r}")
    for k in ("ociVersionMin", "ociVersionMax"):
        expect(isinstance(doc.get(k), str) and doc[k].count(".") == 2, f"{k}: {doc.get(k)!r}")

    def version(v):
        return tuple(int(x) for x in v.split("-")[0].split("."))
    expect(version(doc["ociVersionMin"]) <= version(doc["ociVersionMax"]),
           f"ociVersionMin {doc['ociVersionMin']} is above ociVersionMax {doc['ociVersionMax']}")
    hooks = {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
             "poststop"}
    expect(set(doc.get("hooks", [])) <= hooks, f"unknown hooks {doc.get('hooks')}")
    linux = doc.get("linux", {})
    ns = {"cgroup", "ipc", "mount", "network", "pid", "user", "uts", "time"}
    expect(set(linux.get("namespaces", [])) <= ns, f"namespaces {linux.get('namespaces')}")
    for k in ("mountOptions", "hooks"):
        expect(isinstance(doc.get(k, []), list), f"{k} is not a list")
    expect(isinstance(linux.get("capabilities", []), list) and
           all(c.startswith("CAP_") for c in linux.get("capabilities", [])),
           f"capabilities {linux.get('capabilities')}")
