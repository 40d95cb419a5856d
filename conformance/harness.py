"""harness: what conformance/run's requirement modules share: the registry (@requirement), the
outcomes (Failed, Skip, expect), the common config every runtime gets (base_config), a bundle,
the runtime's runc-compatible CLI (Runtime) and a test's owned resources (Context).
It must never touch anything a test did not create: containers are deleted by the ids the test
made, helpers killed by the pid it started, temp dirs removed.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

REQUIREMENTS = []


def requirement(rid, level, spec, text):
    """Register a test for one requirement: id, MUST/SHOULD, spec file, the sentence summarised."""
    def register(fn):
        REQUIREMENTS.append({"id": rid, "level": level, "spec": spec, "text": text, "fn": fn})
        return fn
    return register


class Skip(Exception):
    """The requirement cannot be checked with this runtime or host (the reason is reported)."""


class Failed(Exception):
    """The requirement is not met (the message says what was seen)."""


def expect(cond, msg):
    if not cond:
        raise Failed(msg)


DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def base_config(args):
    """The config every test starts from: what `runc spec` gives, minus the terminal and the
    cgroup mount (no test reads it, and its handling differs on hybrid hosts)."""
    return {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "conformance",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount",
                                                  "cgroup")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


class Bundle:
    def __init__(self, path, config):
        self.path = path
        self.rootfs = os.path.join(path, "rootfs")
        self.config = config
        self.out = os.path.join(path, "stdout")
        self.err = os.path.join(path, "stderr")

    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config["linux"]

    def save(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    def output(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def report(self):
        """The probe's report: the last line of the container's stdout that is a JSON object."""
        text = self.output()
        for line in reversed(text.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        with open(self.err, errors="replace") as f:
            err = f.read().strip()
        raise Failed(f"the probe printed no report (stdout {text[:200]!r}, stderr {err[:300]!r})")


class Runtime:
    """A runc-compatible runtime driven through its CLI with a private --root."""

    def __init__(self, binary, root):
        self.binary = binary
        self.root = root

    def run(self, *args, timeout=30, stdout=None, stderr=None):
        """Run the runtime; stdio go through files since a created container keeps them open."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            r = subprocess.run([self.binary, "--root", self.root, *map(str, args)],
                               stdin=subprocess.DEVNULL, stdout=stdout or out,
                               stderr=stderr or err, timeout=timeout)
            out.seek(0)
            err.seek(0)
            r.stdout = out.read().decode(errors="replace")
            r.stderr = err.read().decode(errors="replace")
        return r

    def ok(self, *args, **kw):
        r = self.run(*args, **kw)
        if r.returncode != 0:
            raise Failed(f"`{os.path.basename(self.binary)} {' '.join(map(str, args))}` exited "
                         f"{r.returncode}: {r.stderr.strip()[:300]}")
        return r

    def state(self, cid):
        """The parsed state, or None when `state` fails."""
        r = self.run("state", cid)
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise Failed(f"state of {cid} is not JSON: {r.stdout[:200]!r}")


class Context:
    """What one test owns: its bundles, its container ids, helper processes; all cleaned up."""

    def __init__(self, suite, name):
        self.suite = suite
        self.rt = suite.runtime
        self.name = name
        self.ids = []
        self.helpers = []
        self.count = 0
        self.dir = tempfile.mkdtemp(prefix=f"{name}-", dir=suite.work)

    def bundle(self, args=None, probe_args=()):
        self.count += 1
        path = os.path.join(self.dir, f"b{self.count}")
        os.mkdir(path)
        shutil.copytree(self.suite.template, os.path.join(path, "rootfs"), symlinks=True)
        if args is None:
            args = ["/probe", *probe_args]
        return Bundle(path, base_config(args))

    def new_id(self):
        self.count += 1
        cid = f"conf-{os.getpid()}-{self.name[:20]}-{self.count}"
        self.ids.append(cid)
        return cid

    def create(self, b, cid=None, check=True):
        """Create a container from bundle b (saved first); stdout/stderr go to b.out/b.err."""
        b.save()
        cid = cid or self.new_id()
        with open(b.out, "ab") as out, open(b.err, "ab") as err:
            r = self.rt.run("create", "--bundle", b.path, cid, stdout=out, stderr=err)
        with open(b.err, errors="replace") as f:
            r.stderr = f.read()
        if check and r.returncode != 0:
            raise Failed(f"create exited {r.returncode}: {r.stderr.strip()[-300:]}")
        return cid if check else r

    def wait_status(self, cid, status, timeout=10):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.rt.state(cid)
            if st is not None and st.get("status") == status:
                return st
            time.sleep(0.05)
        raise Failed(f"{cid} did not become {status} in {timeout}s (last state: {st})")

    def run_to_end(self, b):
        """create + start + wait for stopped; returns the container id."""
        cid = self.create(b)
        self.rt.ok("start", cid)
        self.wait_status(cid, "stopped")
        return cid

    def probe(self, b):
        """Run bundle b (whose process is the probe) to its end and return the probe's report."""
        self.run_to_end(b)
        return b.report()

    def helper(self, argv):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        self.helpers.append(p)
        return p

    def cleanup(self):
        for cid in self.ids:
            try:
                self.rt.run("delete", "--force", cid, timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for p in self.helpers:
            if p.poll() is None:
                p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{kind}")


def find_mount(report, point):
    found = [m for m in report["mounts"] if m["mount_point"] == point]
    return found[-1] if found else None
