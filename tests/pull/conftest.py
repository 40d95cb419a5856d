"""Fixtures for the berth-pull tests: one session-wide set of real servers on loopback, the test
images pushed to them, and a helper to run the berth-pull binary."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

import images as I
import servers as S

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BERTH_PULL = os.environ.get("BERTH_PULL", os.path.join(TOP, "berth-pull"))


class World:
    pass


def build_images(w):
    hello_bin = I.build_static_hello(w.dir)
    w.hello_bin = hello_bin

    # hello: a static binary, Docker schema2 media types.
    l = I.Layer()
    l.file("hello", hello_bin, mode=0o755)
    w.hello = I.Image([(l, "gzip")], config={"Cmd": ["/hello"], "Env": ["GREETING=hi"]},
                      docker=True)

    # busybox: users and groups, every config field bundle reads.
    l = I.Layer()
    for d in ("bin", "etc", "work", "tmp"):
        l.dir(d)
    with open("/bin/busybox", "rb") as f:
        l.file("bin/busybox", f.read(), mode=0o755)
    l.symlink("bin/sh", "busybox")
    l.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
    l.file("etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app\nother:x:3000:root\n")
    w.busybox = I.Image([(l, "gzip")], config={
        "User": "app", "Env": ["PATH=/bin", "FOO=bar"], "WorkingDir": "/work",
        "Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hello"],
        "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Volumes": {"/data": {}},
        "StopSignal": "SIGQUIT", "Labels": {"org.example.team": "berth"}})

    # multi: three layers (gzip, zstd, plain) exercising whiteouts, opaque dirs and links.
    l1 = I.Layer()
    l1.dir("a")
    l1.file("a/keep", "keep")
    l1.file("a/gone", "gone")
    l1.dir("b", mode=0o750)
    l1.file("b/old1", "old")
    l1.dir("b/sub")
    l1.file("b/sub/old2", "old")
    l1.file("setuid", "x", mode=0o4755, uid=0, gid=0)
    l1.file("owned", "x", mode=0o640, uid=1234, gid=5678, mtime=1500000000)
    l1.file("xattr", "x", xattrs={"user.berth": "yes"})
    l1.file("gonedir-file", "x")
    l1.dir("gonedir")
    l1.file("gonedir/inside", "x")
    l1.file("target", "target data")
    l2 = I.Layer()
    l2.file("a/.wh.gone")
    l2.file(".wh.gonedir")
    l2.dir("b", mode=0o750)
    l2.file("b/.wh..wh..opq")
    l2.file("b/new", "new")
    l2.hardlink("hardlink", "target")
    l2.symlink("symlink", "/target")
    l2.symlink("dangling", "/nowhere")
    l2.fifo("fifo")
    l2.chardev("null", 1, 3)
    l3 = I.Layer()
    l3.file("a/keep", "replaced")
    l3.file("deep/er/file", "made parents")
    w.multi = I.Image([(l1, "gzip"), (l2, "zstd"), (l3, "none")], config={"Cmd": ["/x"]})

    # dup: the same layer listed twice, as some builders emit.
    l = I.Layer()
    l.file("dup", "twice")
    w.dup = I.Image([(l, "gzip")], config={"Cmd": ["/x"]})
    man = json.loads(w.dup.manifest)
    man["layers"] *= 2
    man["config"]["digest"], man["config"]["size"] = w.dup.config_digest, len(w.dup.blobs[w.dup.config_digest])
    w.dup.manifest = json.dumps(man).encode()
    w.dup.digest = I.sha(w.dup.manifest)

    # platforms: one image per platform, an index with an attestation entry.
    w.platforms = {}
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        l = I.Layer()
        l.file("platform", arch)
        w.platforms[arch] = I.Image([(l, "gzip")], config={"Cmd": ["/x"]}, arch=arch,
                                    variant=variant)

    # hostile: every way out of a rootfs we know of.
    w.host_target = os.path.join(w.dir, "host-target")
    os.mkdir(w.host_target)
    h1 = I.Layer()
    h1.dir("tmp")
    h1.symlink("escape", w.host_target)
    h1.symlink("up", "../../../../../../../../" + w.host_target.lstrip("/"))
    h1.file("../evil-dotdot", "x")
    h1.file("a/../../evil-inner", "x")
    h1.file("/abs-file", "absolute names mean the rootfs")
    h1.file("escape/pwned-direct", "x")
    h1.file("up/pwned-up", "x")
    h1.hardlink("hl-out", "../../../../etc/passwd")
    h1.hardlink("hl-abs", "/etc/passwd")
    h1.file(".wh..", "")
    h1.file("ok", "still unpacked")
    h2 = I.Layer()
    h2.file("escape/pwned-later", "x")
    h2.file("escape", "now a file")
    w.hostile = I.Image([(h1, "gzip"), (h2, "gzip")], config={"Cmd": ["/x"]})


@pytest.fixture(scope="session")
def world():
    w = World()
    w.dir = tempfile.mkdtemp(prefix="berth-pull-test.")
    started = []
    try:
        build_images(w)
        certs = S.make_ca(w.dir)
        w.certs = certs
        w.certdir = os.path.join(w.dir, "certs.d")
        os.mkdir(w.certdir)
        shutil.copy(certs["ca.crt"], os.path.join(w.certdir, "ca.crt"))
        storage = w.storage = os.path.join(w.dir, "storage")
        w.plain = S.RegistryProcess(w.dir, "plain", storage)
        started.append(w.plain)
        reg = I.Registry("127.0.0.1", w.plain.port)
        reg.push_image("hello", "latest", w.hello)
        reg.push_image("pub/hello", "latest", w.hello)
        reg.push_image("library/hello", "latest", w.hello)  # a docker.io mirror's path
        reg.push_image("busybox", "latest", w.busybox)
        reg.push_image("multi", "latest", w.multi)
        reg.push_image("dup", "latest", w.dup)
        reg.push_image("hostile", "latest", w.hostile)
        w.index_digest = reg.push_index("platforms", "latest", list(w.platforms.values()))
        w.tls = S.RegistryProcess(w.dir, "tls", storage,
                                  tls=(certs["server.crt"], certs["server.key"]))
        started.append(w.tls)
        w.token = S.TokenServer(certs["token.crt"], certs["token.key"])
        started.append(w.token)
        w.auth = S.RegistryProcess(w.dir, "token", storage, token={
            "realm": w.token.realm, "service": "berth-test-registry",
            "issuer": w.token.issuer, "cert": certs["token.crt"]})
        started.append(w.auth)
        w.proxy = S.FaultProxy(w.plain.port)
        started.append(w.proxy)
        # The token registry behind a proxy that can hold answers back (tokens expire meanwhile).
        w.authproxy = S.FaultProxy(w.auth.port, forward_auth=True)
        started.append(w.authproxy)
        # TLS that requires a client certificate signed by the test CA.
        w.mtls = S.RegistryProcess(w.dir, "mtls", storage,
                                   tls=(certs["server.crt"], certs["server.key"]),
                                   clientcas=certs["ca.crt"])
        started.append(w.mtls)
        yield w
    finally:
        for s in reversed(started):
            s.stop()
        shutil.rmtree(w.dir, ignore_errors=True)


class Runner:
    def __init__(self, tmp):
        self.tmp = tmp
        self.store = os.path.join(tmp, "store")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp,
                    "LANG": "C"}

    def __call__(self, *args, check=True, store=True, env=None, input=None, timeout=120):
        cmd = [BERTH_PULL] + (["--store", self.store] if store else []) + list(args)
        e = dict(self.env, **(env or {}))
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                           input=input, timeout=timeout, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"{cmd} exited {p.returncode}\nstdout:\n{p.stdout}\n"
                                 f"stderr:\n{p.stderr}")
        return p


@pytest.fixture
def bp(tmp_path):
    return Runner(str(tmp_path))
