"""berth-pull bundle: unpacking layers safely and writing config.json from the image config."""
import json
import os
import stat
import subprocess

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def load_config(bundle):
    with open(os.path.join(bundle, "config.json")) as f:
        return json.load(f)


def berth_spec(tmp):
    d = os.path.join(tmp, "spec")
    os.mkdir(d)
    subprocess.run([os.path.join(TOP, "berth"), "spec", "--bundle", d], check=True)
    return load_config(d)


def test_bundle_pulls_when_missing_and_runs_the_static_hello(world, bp):
    bundle = os.path.join(bp.tmp, "hello")
    p = bp("--tls-verify=false", "bundle", f"{world.plain.host}/hello", bundle)
    assert p.stderr.startswith(f"Unable to find image '{world.plain.host}/hello:latest' locally\n")
    assert "Pull complete" in p.stdout
    rootfs = os.path.join(bundle, "rootfs")
    with open(os.path.join(rootfs, "hello"), "rb") as f:
        assert f.read() == world.hello_bin
    out = subprocess.run([os.path.join(rootfs, "hello")], stdout=subprocess.PIPE, text=True)
    assert out.stdout == "Hello from berth-pull!\n"
    cfg = load_config(bundle)
    assert cfg["process"]["args"] == ["/hello"]
    assert cfg["process"]["terminal"] is False
    assert cfg["process"]["cwd"] == "/"
    assert cfg["process"]["env"][0].startswith("PATH=/usr/local/sbin")
    assert "GREETING=hi" in cfg["process"]["env"]
    assert cfg["process"]["user"] == {"uid": 0, "gid": 0}
    # Everything the image does not say is berth's one default, the document `berth spec` writes.
    default = berth_spec(bp.tmp)
    for key in ("capabilities", "rlimits", "noNewPrivileges"):
        assert cfg["process"][key] == default["process"][key], key
    assert {k: v for k, v in cfg.items() if k not in ("process", "annotations")} == {
        k: v for k, v in default.items() if k != "process"}
    # A second bundle of the same image does not pull again.
    p = bp("bundle", f"{world.plain.host}/hello", os.path.join(bp.tmp, "hello2"))
    assert p.stdout == "" and p.stderr == ""


def test_bundle_resolves_user_and_maps_the_image_config(world, bp):
    bundle = os.path.join(bp.tmp, "bb")
    bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/busybox", bundle)
    proc = load_config(bundle)["process"]
    assert proc["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [2000]}
    assert proc["args"] == ["/bin/sh", "-c", "echo hello"]
    assert proc["env"] == ["PATH=/bin", "FOO=bar", "HOME=/home/app"]
    assert proc["cwd"] == "/work"
    ann = load_config(bundle)["annotations"]
    assert ann["org.opencontainers.image.exposedPorts"] == "80/tcp,53/udp"
    assert ann["org.opencontainers.image.stopSignal"] == "SIGQUIT"
    assert ann["berth.image.volumes"] == "/data"
    assert ann["org.example.team"] == "berth"
    assert ann["org.opencontainers.image.architecture"] == "amd64"
    out = subprocess.run([os.path.join(bundle, "rootfs", "bin", "busybox"), "echo", "ok"],
                         stdout=subprocess.PIPE, text=True)
    assert out.stdout == "ok\n"


def test_bundle_arguments_after_dashes_replace_cmd(world, bp):
    bundle = os.path.join(bp.tmp, "bb")
    bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/busybox", bundle, "--",
       "echo bye")
    assert load_config(bundle)["process"]["args"] == ["/bin/sh", "-c", "echo bye"]


def test_bundle_refuses_an_existing_bundle(world, bp):
    bundle = os.path.join(bp.tmp, "bb")
    bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/busybox", bundle)
    p = bp("bundle", f"{world.plain.host}/busybox", bundle, check=False)
    assert p.returncode == 1 and "already holds" in p.stderr


def test_layers_apply_whiteouts_links_modes_owners_xattrs(world, bp):
    bundle = os.path.join(bp.tmp, "multi")
    bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/multi", bundle)
    r = os.path.join(bundle, "rootfs")
    read = lambda n: open(os.path.join(r, n)).read()
    assert read("a/keep") == "replaced"
    assert not os.path.lexists(os.path.join(r, "a/gone"))
    assert sorted(os.listdir(os.path.join(r, "b"))) == ["new"]  # opaque: old entries hidden
    assert stat.S_IMODE(os.stat(os.path.join(r, "b")).st_mode) == 0o750
    assert not os.path.lexists(os.path.join(r, "gonedir"))
    assert read("gonedir-file") == "x"
    assert stat.S_IMODE(os.stat(os.path.join(r, "setuid")).st_mode) == 0o4755
    st = os.stat(os.path.join(r, "owned"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1234, 5678, 0o640)
    assert int(st.st_mtime) == 1500000000
    assert os.getxattr(os.path.join(r, "xattr"), "user.berth") == b"yes"
    assert os.stat(os.path.join(r, "hardlink")).st_ino == os.stat(os.path.join(r, "target")).st_ino
    assert os.readlink(os.path.join(r, "symlink")) == "/target"
    assert os.readlink(os.path.join(r, "dangling")) == "/nowhere"
    assert stat.S_ISFIFO(os.lstat(os.path.join(r, "fifo")).st_mode)
    st = os.lstat(os.path.join(r, "null"))
    assert stat.S_ISCHR(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)
    assert read("deep/er/file") == "made parents"


def test_hostile_layers_never_write_outside_the_rootfs(world, bp):
    bundle = os.path.join(bp.tmp, "hostile")
    before = set(os.listdir(bp.tmp))
    p = bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/hostile", bundle)
    assert os.listdir(world.host_target) == []
    assert set(os.listdir(bp.tmp)) == before | {"hostile", "store"}
    assert not os.path.exists(os.path.join(os.path.dirname(bp.tmp), "evil-dotdot"))
    r = os.path.join(bundle, "rootfs")
    assert open(os.path.join(r, "ok")).read() == "still unpacked"
    assert open(os.path.join(r, "abs-file")).read() == "absolute names mean the rootfs"
    assert open(os.path.join(r, "escape")).read() == "now a file"
    for name in ("../evil-dotdot", "a/../../evil-inner", "escape/pwned-direct", "up/pwned-up",
                 "hl-out", "hl-abs", ".wh..", "escape/pwned-later"):
        assert f"refusing '{name}'" in p.stderr, name
    assert "8 hostile or unsupported entries refused" in p.stderr
    found = []
    for d, _, files in os.walk(bundle):
        found += [f for f in files if f.startswith("pwned") or f.startswith("evil")]
    assert found == []


def runtime():
    """berth once its `run` works; until then runc, which reads the same config.json."""
    if os.path.exists(os.path.join(TOP, "src", "cmd", "run.c")):
        return [os.path.join(TOP, "berth")]
    return ["runc"]


def test_bundle_runs_under_an_oci_runtime(world, bp):
    bundle = os.path.join(bp.tmp, "hello")
    bp("--tls-verify=false", "-q", "bundle", f"{world.plain.host}/hello", bundle, "--", "/hello", "one")
    rt = runtime()
    cid = f"berth-pull-test-{os.getpid()}"
    try:
        p = subprocess.run(rt + ["run", "-b", bundle, cid], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        subprocess.run(rt + ["delete", "-f", cid], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Hello from berth-pull!\narg one\n"
