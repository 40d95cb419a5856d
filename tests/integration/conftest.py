"""Fixtures for berth's integration tests: real containers, run as root on the real kernel.

- berth: runs the built ./berth with a private --root (berth.run, berth.state, berth.root)
- bundle: a factory building a bundle from a busybox-static + probe template rootfs
- cid: a unique container id, force-deleted after the test
"""
import itertools
import json
import os
import shutil
import subprocess
import tempfile

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BERTH = os.environ.get("BERTH", os.path.join(TOP, "berth"))
PROBE = os.path.join(TOP, "conformance", "probe")
BUSYBOX = "/bin/busybox"
_ids = itertools.count()


class Berth:
    def __init__(self, root):
        self.root = root
        self.binary = BERTH

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *map(str, args)]

    def run(self, *args, check=True, timeout=30, input=None, stdin=None, env=None, **kw):
        """Run berth and return a CompletedProcess with text stdout/stderr.

        Output goes through files, not pipes: a created or detached container keeps the
        caller's stdio open (as with runc), so waiting for EOF on a pipe would never end."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            if input is not None:
                stdin = tempfile.TemporaryFile()
                stdin.write(input.encode())
                stdin.seek(0)
            r = subprocess.run(self.cmd(*args), stdout=out, stderr=err, timeout=timeout,
                               stdin=stdin if stdin is not None else subprocess.DEVNULL,
                               env=env, **kw)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        if check and r.returncode != 0:
            raise AssertionError(f"berth {' '.join(map(str, args))} exited {r.returncode}:\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def state(self, cid):
        return json.loads(self.run("state", cid).stdout)


@pytest.fixture(scope="session")
def state_root():
    root = tempfile.mkdtemp(prefix="berth-test-root-", dir="/run")
    yield root
    # Containers of failed tests are force-deleted by `cid`; whatever remains is a leak.
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def berth(state_root):
    return Berth(state_root)


@pytest.fixture(scope="session")
def template_rootfs(tmp_path_factory):
    """A minimal rootfs: busybox-static with its applets, the probe, passwd and group."""
    root = tmp_path_factory.mktemp("template") / "rootfs"
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "root", "run", "var"):
        (root / d).mkdir(parents=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", root / "bin" / applet)
    if os.path.exists(PROBE):
        shutil.copy2(PROBE, root / "probe")
    (root / "etc" / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
        "user:x:1000:1000:user:/tmp:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n")
    (root / "tmp").chmod(0o1777)
    return root


@pytest.fixture(scope="session")
def default_config(tmp_path_factory):
    d = tmp_path_factory.mktemp("spec")
    subprocess.run([BERTH, "spec", "--bundle", str(d)], check=True)
    return json.loads((d / "config.json").read_text())


class Bundle:
    def __init__(self, path, config):
        self.path = str(path)
        self.rootfs = os.path.join(self.path, "rootfs")
        self.config = config

    def save(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)
        return self


@pytest.fixture
def bundle(tmp_path, template_rootfs, default_config):
    count = itertools.count()

    def make(args=("/bin/true",), terminal=False, **overrides):
        path = tmp_path / f"bundle{next(count)}"
        path.mkdir()
        shutil.copytree(template_rootfs, path / "rootfs", symlinks=True)
        config = json.loads(json.dumps(default_config))
        config["process"]["args"] = list(args)
        config["process"]["terminal"] = terminal
        config.update(overrides)
        return Bundle(path, config).save()

    return make


@pytest.fixture
def cid(berth):
    name = f"t{os.getpid()}-{next(_ids)}"
    yield name
    subprocess.run(berth.cmd("delete", "--force", name), capture_output=True, timeout=30)


def mounts_under(path):
    """Mount points at or below `path` in our mount namespace (leftover checks)."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mnt = line.split()[4]
            if mnt == path or mnt.startswith(path.rstrip("/") + "/"):
                found.append(mnt)
    return found
