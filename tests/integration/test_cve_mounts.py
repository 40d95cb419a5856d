"""Mount and path CVE classes of runc/crun (issue 3, "Security regression tests"). Each test
names the CVE it guards and shows the attack fails: every path from config.json or the image
is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT) and mounted through fds."""
import os
import shutil
import socket
import threading

from rootfs_helpers import add_mount, drop_mount, mount_at, probe, run


def host_mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(str(path))]


def test_cve_2019_19921_symlinked_destination_stays_in_the_rootfs(berth, bundle, cid, tmp_path):
    """CVE-2019-19921: a destination through an image symlink pointing at a host path (absolute
    or with ..) must land inside the rootfs, never on the host."""
    host = tmp_path / "host-target"
    host.mkdir()

    def edit(c, b):
        # The same path exists inside the rootfs: that is where the symlinks must lead.
        os.makedirs(b.rootfs + str(host))
        os.symlink(str(host), os.path.join(b.rootfs, "abs"))
        os.symlink("../../../../../../../../.." + str(host), os.path.join(b.rootfs, "rel"))
        add_mount(c, "/abs/made-by-mount", "tmpfs", "tmpfs")
        add_mount(c, "/rel/other", "tmpfs", "tmpfs")
    seen = probe(berth, bundle, cid, edit=edit)
    assert os.listdir(host) == []
    assert host_mounts_under(host) == []
    inside = str(host)
    assert mount_at(seen, inside + "/made-by-mount")["fs_type"] == "tmpfs"
    assert mount_at(seen, inside + "/other")["fs_type"] == "tmpfs"


def test_cve_2019_19921_dangling_symlink_destination_fails_closed(berth, bundle, cid, tmp_path):
    """CVE-2019-19921: when the symlink's target does not exist inside the rootfs, nothing is
    created anywhere, least of all on the host."""
    host = tmp_path / "host-target"
    host.mkdir()
    b = bundle()
    os.symlink(str(host), os.path.join(b.rootfs, "abs"))
    add_mount(b.config, "/abs/made-by-mount", "tmpfs", "tmpfs")
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "open '/abs': Not a directory" in r.stderr
    assert os.listdir(host) == []


def test_cve_2021_30465_symlink_exchange_race_cannot_reach_the_host(berth, bundle, cid,
                                                                     tmp_path):
    """CVE-2021-30465: swapping a mount destination for a symlink while the container is set
    up must not redirect the mount to the host."""
    host = tmp_path / "host-target"
    host.mkdir()
    b = bundle(["/bin/true"])
    vol = os.path.join(b.rootfs, "vol")
    os.mkdir(vol)
    for i in range(4):
        add_mount(b.config, f"/vol/m{i}/x", "tmpfs", "tmpfs")
    stop = threading.Event()

    def swap():
        while not stop.is_set():
            try:
                os.rename(vol, vol + ".d")
                os.symlink(str(host), vol)
                os.unlink(vol)
                os.rename(vol + ".d", vol)
            except OSError:
                pass

    t = threading.Thread(target=swap)
    t.start()
    try:
        for i in range(15):
            run(berth, b, f"{cid}-{i}", check=False)
            berth.run("delete", "--force", f"{cid}-{i}", check=False)
    finally:
        stop.set()
        t.join()
    assert os.listdir(host) == []
    assert host_mounts_under(host) == []


def test_cve_2019_16884_proc_on_a_symlink_is_refused(berth, bundle, cid):
    """CVE-2019-16884 class: /proc replaced by a symlink in the image must not get procfs
    mounted elsewhere (the runtime later trusts what it reads under /proc)."""
    b = bundle()
    os.rmdir(os.path.join(b.rootfs, "proc"))
    os.makedirs(os.path.join(b.rootfs, "fakeproc"))
    os.symlink("/fakeproc", os.path.join(b.rootfs, "proc"))
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "'/proc' must be an ordinary directory, not a symlink" in r.stderr


def test_cve_2019_16884_proc_on_a_file_is_refused(berth, bundle, cid):
    b = bundle()
    os.rmdir(os.path.join(b.rootfs, "proc"))
    open(os.path.join(b.rootfs, "proc"), "w").close()
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "'/proc' must be an ordinary directory" in r.stderr


def test_only_procfs_may_cover_proc(berth, bundle, cid):
    """Covering /proc or a file below it with something else hides what the runtime and the
    LSMs read there (CVE-2019-16884 class)."""
    b = bundle()
    drop_mount(b.config, "/proc")
    add_mount(b.config, "/proc", "tmpfs", "tmpfs")
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "only proc can be mounted on /proc" in r.stderr
    b = bundle()
    add_mount(b.config, "/proc/self/attr/exec", "bind", "/etc/hostname", ["bind"])
    r = run(berth, b, f"{cid}-2", check=False)
    assert r.returncode != 0 and "cannot be mounted inside /proc" in r.stderr


def fake_dev(tmp_path, name, target):
    d = tmp_path / "fakedev"
    d.mkdir()
    os.symlink(target, d / name)
    return d


def test_cve_2025_31133_masked_path_with_dev_null_swapped_for_a_symlink(berth, bundle, cid,
                                                                        tmp_path):
    """CVE-2025-31133: /dev/null replaced by a symlink (to core_pattern) must not be what a
    masked path is bound to; the check is made on the fd that is bound."""
    before = open("/proc/sys/kernel/core_pattern").read()
    dev = fake_dev(tmp_path, "null", "/proc/sys/kernel/core_pattern")
    b = bundle()
    drop_mount(b.config, "/dev")
    b.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(dev),
                                  "options": ["rbind"]})
    b.config["linux"]["maskedPaths"] = ["/proc/keys"]
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "/dev/null is not the null device" in r.stderr
    assert open("/proc/sys/kernel/core_pattern").read() == before


def test_cve_2025_52565_dev_console_symlink_is_refused(berth, bundle, cid, tmp_path):
    """CVE-2025-52565: a /dev/console planted as a symlink must not redirect the console
    bind mount (here towards core_pattern)."""
    dev = fake_dev(tmp_path, "console", "/proc/sys/kernel/core_pattern")
    b = bundle(["/bin/true"], terminal=True)
    drop_mount(b.config, "/dev")
    b.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(dev),
                                  "options": ["rbind"]})
    sock = str(tmp_path / "c.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(1)
    try:
        b.save()
        r = berth.run("create", "--console-socket", sock, "-b", b.path, cid, check=False)
    finally:
        srv.close()
    assert r.returncode != 0
    assert "/dev/console is a symlink, expected a file" in r.stderr
    assert os.path.islink(dev / "console")


def test_dev_symlink_cannot_redirect_device_creation_to_the_host(berth, bundle, cid, tmp_path):
    """A /dev symlink in the image pointing at a host directory must not make the runtime
    create device nodes (or mount /dev) on the host."""
    host = tmp_path / "host-dev"
    host.mkdir()
    for i, keep_tmpfs in enumerate((True, False)):
        b = bundle(["/probe", "stat=/dev/null"])
        shutil.rmtree(os.path.join(b.rootfs, "dev"))
        os.makedirs(b.rootfs + str(host))
        os.symlink(str(host), os.path.join(b.rootfs, "dev"))
        if not keep_tmpfs:
            for d in ("/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"):
                drop_mount(b.config, d)
        r = run(berth, b, f"{cid}-{i}")
        assert '"major":1' in r.stdout.replace(" ", "")
        assert os.listdir(host) == [], keep_tmpfs
        assert host_mounts_under(host) == []
