"""Fixtures shared by the client suites (containerd, Podman, dockerd driving berth).

- image: the offline test image (busybox-static + /hello) as a rootfs tarball and an OCI archive
- Daemon: a daemon started in its own session and stopped by its PID
- host_guard: records which host paths existed, and removes what the engines created beyond
  them (their /run directories, leftover cgroups), unmounts what is left under private dirs

Each engine runs with private roots, sockets and state under a temp dir. These fixtures must
never touch a daemon, mount, cgroup or process they did not start.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import image as image_mod

TOP = image_mod.TOP
BERTH = os.environ.get("BERTH", os.path.join(TOP, "berth"))
GREETING = "Hello from berth!"


def need(*binaries):
    """Skip (with the reason) when a client's binary is not installed."""
    for b in binaries:
        if shutil.which(b) is None and not os.path.exists(b):
            pytest.skip(f"{b} is not installed: run scripts/install-deps.sh test-clients")


class Image:
    def __init__(self, top):
        self.dir = top
        self.rootfs = os.path.join(top, "rootfs")
        image_mod.make_rootfs(self.rootfs)
        self.rootfs_tar = image_mod.make_rootfs_tar(self.rootfs, os.path.join(top, "rootfs.tar"))

    def oci_archive(self, name):
        dest = os.path.join(self.dir, name.replace("/", "_").replace(":", "_") + ".oci.tar")
        if not os.path.exists(dest):
            image_mod.make_oci_archive(self.rootfs, dest, name)
        return dest


@pytest.fixture(scope="session")
def image():
    if not os.path.exists(image_mod.HELLO):
        pytest.fail(f"{image_mod.HELLO}: missing, build the tree first (make)")
    top = tempfile.mkdtemp(prefix="berth-clients-image-")
    try:
        yield Image(top)
    finally:
        shutil.rmtree(top, ignore_errors=True)


class Daemon:
    """A daemon in its own session, logging to a file; stop() signals its PID only."""

    def __init__(self, name, cmd, log, env=None):
        self.name = name
        self.log = log
        with open(log, "ab") as f:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                                         env=env, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait_for(self, check, what, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited {self.proc.returncode} before {what}:\n"
                                     + self.log_text()[-3000:])
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {what} after {timeout}s:\n"
                             + self.log_text()[-3000:])

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def pids_mentioning(text):
    """PIDs whose command line names `text` (a private temp path): processes a test's daemon
    spawned and left behind (shims, conmon), found without guessing at names."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry))
    return pids


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def unmount_under(path):
    """Unmount whatever is still mounted below `path`, deepest first."""
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for point in sorted({p for p in points if p == path or p.startswith(path + "/")},
                        key=len, reverse=True):
        subprocess.run(["umount", "-l", point], stderr=subprocess.DEVNULL)


def remove_cgroup(relpath):
    """rmdir a cgroup (and its empty children) the engine created, in every hierarchy."""
    base = "/sys/fs/cgroup"
    dirs = [base] + [os.path.join(base, d) for d in os.listdir(base)]
    for top in dirs:
        target = os.path.join(top, relpath.strip("/"))
        if not relpath.strip("/") or not os.path.isdir(target) or os.path.islink(top):
            continue
        for dirpath, _, _ in sorted(os.walk(target), key=lambda t: len(t[0]), reverse=True):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


class HostGuard:
    """Remembers whether host paths existed; afterwards removes the ones the engines made."""

    def __init__(self, paths):
        self.absent = [p for p in paths if not os.path.lexists(p)]

    def restore(self):
        for p in self.absent:
            unmount_under(p)
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.lexists(p):
                os.unlink(p)


def run(cmd, check=True, timeout=60, env=None, input=None):
    """Run a client command; output through files so a detached container keeps no pipe."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stdin = subprocess.DEVNULL
        if input is not None:
            stdin = tempfile.TemporaryFile()
            stdin.write(input.encode())
            stdin.seek(0)
        r = subprocess.run(cmd, stdout=out, stderr=err, stdin=stdin, timeout=timeout, env=env)
        out.seek(0)
        err.seek(0)
        r.stdout = out.read().decode(errors="replace")
        r.stderr = err.read().decode(errors="replace")
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n"
                             f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def fds_of(pid):
    return sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))


def wait_until(check, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
