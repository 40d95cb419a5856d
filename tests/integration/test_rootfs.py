"""The root filesystem and mounts (issue 2 and the "Root filesystem and mounts" part of
issue 3), observed from inside the container through /probe's view of mountinfo and stat."""
import json
import os

import pytest

from rootfs_helpers import (HostMount, add_mount, drop_mount, mount_at, probe, run, shell,
                            userns)


def test_default_mounts_get_their_options(berth, bundle, cid):
    seen = probe(berth, bundle, cid)
    assert mount_at(seen, "/proc")["fs_type"] == "proc"
    dev = mount_at(seen, "/dev")
    assert dev["fs_type"] == "tmpfs" and "nosuid" in dev["options"]
    assert "mode=755" in dev["super_options"]
    pts = mount_at(seen, "/dev/pts")
    assert pts["fs_type"] == "devpts"
    assert {"nosuid", "noexec"} <= set(pts["options"])
    assert {"ptmxmode=666", "mode=620", "gid=5"} <= set(pts["super_options"])
    shm = mount_at(seen, "/dev/shm")
    assert {"nosuid", "nodev", "noexec"} <= set(shm["options"])
    assert mount_at(seen, "/dev/mqueue")["fs_type"] == "mqueue"
    sys = mount_at(seen, "/sys")
    assert sys["fs_type"] == "sysfs" and {"ro", "nosuid", "nodev", "noexec"} <= set(sys["options"])


def test_cgroup_mount_follows_the_hosts_v1_layout_read_only(berth, bundle, cid):
    seen = probe(berth, bundle, cid)
    top = mount_at(seen, "/sys/fs/cgroup")
    assert top["fs_type"] == "tmpfs" and "ro" in top["options"]
    host = {line.split()[4] for line in open("/proc/self/mountinfo")
            if " - cgroup " in line and line.split()[4].startswith("/sys/fs/cgroup/")}
    inside = {m["mount_point"] for m in seen["mounts"]
              if m["fs_type"] == "cgroup" and m["mount_point"].startswith("/sys/fs/cgroup/")}
    assert inside == host
    for m in seen["mounts"]:
        if m["mount_point"] in inside:
            assert "ro" in m["options"]


def test_cgroup_mount_in_a_cgroup_namespace_is_rooted_at_the_container(berth, bundle, cid):
    seen = probe(berth, bundle, cid,
                 edit=lambda c, b: c["linux"]["namespaces"].append({"type": "cgroup"}))
    for m in seen["mounts"]:
        if m["fs_type"] == "cgroup":
            assert m["root"] == "/"
    assert all(entry["path"] == "/" for entry in seen["cgroup"])


def test_root_readonly_makes_only_the_root_mount_read_only(berth, bundle, cid):
    seen = probe(berth, bundle, cid)
    assert "ro" in mount_at(seen, "/")["options"]
    assert "rw" in mount_at(seen, "/dev")["options"]


def test_root_writable_when_not_readonly(berth, bundle, cid):
    def edit(c, b):
        c["root"]["readonly"] = False
    r = shell(berth, bundle, cid, "touch /written && echo ok", edit=edit)
    assert r.stdout == "ok\n"


def test_absolute_root_path(berth, bundle, cid):
    def edit(c, b):
        c["root"]["path"] = b.rootfs
    assert probe(berth, bundle, cid, edit=edit)["cwd"] == "/"


def test_default_devices_are_created_with_mode_0666(berth, bundle, cid):
    devs = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8),
            "urandom": (1, 9), "tty": (5, 0)}
    seen = probe(berth, bundle, cid, *[f"stat=/dev/{d}" for d in devs])
    for name, (major, minor) in devs.items():
        st = seen["stat"][f"/dev/{name}"]
        assert (st["type"], st["major"], st["minor"]) == ("char", major, minor), name
        assert st["mode"] == 0o666, name


def test_dev_symlinks(berth, bundle, cid):
    r = shell(berth, bundle, cid,
              "for l in fd stdin stdout stderr ptmx; do echo $l=$(readlink /dev/$l); done")
    assert r.stdout.split() == ["fd=/proc/self/fd", "stdin=/proc/self/fd/0",
                                "stdout=/proc/self/fd/1", "stderr=/proc/self/fd/2",
                                "ptmx=pts/ptmx"]


def test_linux_devices_are_created_with_mode_and_owner(berth, bundle, cid):
    def edit(c, b):
        c["linux"]["devices"] = [
            {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5,
             "fileMode": 0o640, "uid": 7, "gid": 8},
            {"path": "/dev/fifo", "type": "p"},
        ]
    seen = probe(berth, bundle, cid, "stat=/dev/sub/myzero", "stat=/dev/fifo", edit=edit)
    z = seen["stat"]["/dev/sub/myzero"]
    assert (z["type"], z["major"], z["minor"], z["mode"], z["uid"], z["gid"]) == \
        ("char", 1, 5, 0o640, 7, 8)
    assert seen["stat"]["/dev/fifo"]["type"] == "fifo"


def test_linux_devices_outside_dev_are_refused(berth, bundle, cid):
    b = bundle()
    b.config["linux"]["devices"] = [{"path": "/etc/null", "type": "c", "major": 1, "minor": 3}]
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "linux.devices[0].path: must be below /dev" in r.stderr


def test_devices_in_a_user_namespace_are_bound_from_the_host(berth, bundle, cid):
    def edit(c, b):
        userns(c, rootfs=b.rootfs)
    seen = probe(berth, bundle, cid, "stat=/dev/null", edit=edit)
    st = seen["stat"]["/dev/null"]
    assert (st["type"], st["major"], st["minor"]) == ("char", 1, 3)
    assert mount_at(seen, "/dev/null") is not None


def test_masked_paths_hide_files_and_directories(berth, bundle, cid):
    def edit(c, b):
        c["linux"]["maskedPaths"] = ["/proc/keys", "/proc/acpi", "/proc/does-not-exist"]
    seen = probe(berth, bundle, cid, "stat=/proc/keys", "read=/proc/keys", edit=edit)
    keys = seen["stat"]["/proc/keys"]
    assert (keys["type"], keys["major"], keys["minor"]) == ("char", 1, 3)
    assert seen["read"]["/proc/keys"]["content"] == ""
    acpi = mount_at(seen, "/proc/acpi")
    assert acpi["fs_type"] == "tmpfs" and "ro" in acpi["options"]


def test_readonly_paths_are_read_only(berth, bundle, cid):
    def edit(c, b):
        c["linux"]["readonlyPaths"] = ["/proc/sys", "/nothing-here"]
    r = shell(berth, bundle, cid,
              "grep ' /proc/sys ' /proc/self/mountinfo; echo 1 > /proc/sys/kernel/shmmni "
              "&& echo WROTE", edit=edit, check=False)
    assert " ro," in r.stdout or " ro " in r.stdout
    assert "WROTE" not in r.stdout


def test_bind_mounts_of_a_file_and_a_directory(berth, bundle, cid, tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "f").write_text("from the host\n")
    (tmp_path / "file").write_text("a file\n")

    def edit(c, b):
        add_mount(c, "/mnt/dir", "bind", str(tmp_path / "dir"), ["rbind", "ro"])
        add_mount(c, "/etc/the-file", "none", str(tmp_path / "file"), ["bind"])
    r = shell(berth, bundle, cid,
              "cat /mnt/dir/f /etc/the-file; touch /mnt/dir/x 2>/dev/null || echo ro-refused",
              edit=edit)
    assert r.stdout == "from the host\na file\nro-refused\n"


def test_relative_bind_source_is_relative_to_the_bundle(berth, bundle, cid):
    def edit(c, b):
        with open(os.path.join(b.path, "data.txt"), "w") as f:
            f.write("bundle data\n")
        add_mount(c, "/data.txt", "bind", "data.txt", ["bind"])
    assert shell(berth, bundle, cid, "cat /data.txt", edit=edit).stdout == "bundle data\n"


def test_recursive_options_reach_submounts(berth, bundle, cid, tmp_path):
    with HostMount(tmp_path / "vol" / "sub"):
        def edit(c, b):
            add_mount(c, "/vol", "bind", str(tmp_path / "vol"), ["rbind", "rro", "nosuid"])
            add_mount(c, "/vol2", "bind", str(tmp_path / "vol"), ["rbind", "ro"])
        seen = probe(berth, bundle, cid, edit=edit)
    assert {"ro", "nosuid"} <= set(mount_at(seen, "/vol")["options"])
    sub = mount_at(seen, "/vol/sub")
    assert "ro" in sub["options"] and "nosuid" not in sub["options"]
    # a non-recursive ro leaves the submount writable
    assert "ro" in mount_at(seen, "/vol2")["options"]
    assert "rw" in mount_at(seen, "/vol2/sub")["options"]


@pytest.mark.parametrize("opts,expect", [
    (["nosuid", "nodev", "noexec"], {"nosuid", "nodev", "noexec"}),
    (["noatime", "nodiratime"], {"noatime", "nodiratime"}),
    (["strictatime"], set()),
    (["relatime"], {"relatime"}),
    (["nosymfollow"], {"nosymfollow"}),
    (["ro", "rw"], {"rw"}),
])
def test_per_mount_options(berth, bundle, cid, opts, expect):
    seen = probe(berth, bundle, cid,
                 edit=lambda c, b: add_mount(c, "/mnt", "tmpfs", "tmpfs", opts))
    m = mount_at(seen, "/mnt")
    assert expect <= set(m["options"])
    if opts == ["strictatime"]:
        assert not {"relatime", "noatime"} & set(m["options"])


def test_superblock_and_data_options_reach_the_filesystem(berth, bundle, cid):
    seen = probe(berth, bundle, cid, edit=lambda c, b: add_mount(
        c, "/mnt", "tmpfs", "tmpfs", ["sync", "dirsync", "size=1m,mode=700", "uid=5"]))
    m = mount_at(seen, "/mnt")
    assert {"sync", "dirsync", "size=1024k", "mode=700", "uid=5"} <= set(m["super_options"])


@pytest.mark.parametrize("options,message", [
    (["bind", "sync"], "mounts[7].options: 'sync' applies to a filesystem"),
    (["bind", "size=1m"], "mounts[7].options: unknown option 'size'"),
    (["bind", "remount"], "mounts[7].options[1]: 'remount' is not supported"),
    (["bind", "tmpcopyup"], "mounts[7].options: tmpcopyup needs a tmpfs mount"),
])
def test_invalid_bind_options_fail_naming_the_json_path(berth, bundle, cid, options, message):
    b = bundle()
    assert len(b.config["mounts"]) == 7
    add_mount(b.config, "/mnt", "bind", "/tmp", options)
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and message in r.stderr


def test_mount_without_type_or_bind_is_refused(berth, bundle, cid):
    b = bundle()
    b.config["mounts"].append({"destination": "/mnt", "source": "x"})
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "mounts[7].type: required unless options has bind or rbind" in r.stderr


def test_unknown_filesystem_type_fails_clearly(berth, bundle, cid):
    b = bundle()
    add_mount(b.config, "/mnt", "no-such-fs", "x")
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0 and "fsopen 'no-such-fs'" in r.stderr


def test_propagation_options(berth, bundle, cid, tmp_path):
    (tmp_path / "a").mkdir()

    def edit(c, b):
        add_mount(c, "/shared", "bind", str(tmp_path / "a"), ["rbind", "rshared"])
        add_mount(c, "/unbindable", "tmpfs", "tmpfs", ["unbindable"])
        add_mount(c, "/private", "tmpfs", "tmpfs", ["private"])
    seen = probe(berth, bundle, cid, edit=edit)
    assert any(p.startswith("shared:") for p in mount_at(seen, "/shared")["propagation"])
    assert mount_at(seen, "/unbindable")["propagation"] == ["unbindable"]
    assert mount_at(seen, "/private")["propagation"] == []


@pytest.mark.parametrize("value,shared", [("rshared", True), ("rprivate", False),
                                          ("rslave", False)])
def test_rootfs_propagation(berth, bundle, cid, value, shared):
    def edit(c, b):
        c["linux"]["rootfsPropagation"] = value
    seen = probe(berth, bundle, cid, edit=edit)
    root = mount_at(seen, "/")
    assert any(p.startswith("shared:") for p in root["propagation"]) == shared


def test_unknown_rootfs_propagation_is_refused(berth, bundle, cid):
    b = bundle()
    b.config["linux"]["rootfsPropagation"] = "sideways"
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "linux.rootfsPropagation: unknown value 'sideways'" in r.stderr


def test_tmpcopyup_copies_the_image_content(berth, bundle, cid):
    def edit(c, b):
        d = os.path.join(b.rootfs, "etc", "conf.d")
        os.makedirs(os.path.join(d, "sub"))
        with open(os.path.join(d, "sub", "a.conf"), "w") as f:
            f.write("image content\n")
        os.symlink("sub/a.conf", os.path.join(d, "link"))
        os.chmod(os.path.join(d, "sub", "a.conf"), 0o600)
        add_mount(c, "/etc/conf.d", "tmpfs", "tmpfs", ["tmpcopyup"])
    r = shell(berth, bundle, cid,
              "grep ' /etc/conf.d ' /proc/self/mountinfo | grep -c tmpfs; cat /etc/conf.d/link;"
              "stat -c %a /etc/conf.d/sub/a.conf", edit=edit)
    assert r.stdout == "1\nimage content\n600\n"


def test_idmapped_mount_with_its_own_mappings(berth, bundle, cid, tmp_path):
    (tmp_path / "owned").mkdir()
    (tmp_path / "owned" / "f").write_text("x")

    def edit(c, b):
        add_mount(c, "/idm", "bind", str(tmp_path / "owned"), ["rbind"],
                  uidMappings=[{"containerID": 0, "hostID": 1234, "size": 1}],
                  gidMappings=[{"containerID": 0, "hostID": 4321, "size": 1}])
        add_mount(c, "/plain", "bind", str(tmp_path / "owned"), ["rbind"])
    seen = probe(berth, bundle, cid, "stat=/idm/f", "stat=/plain/f", edit=edit)
    assert (seen["stat"]["/idm/f"]["uid"], seen["stat"]["/idm/f"]["gid"]) == (1234, 4321)
    assert seen["stat"]["/plain/f"]["uid"] == 0
    assert "idmapped" in mount_at(seen, "/idm")["options"]


def test_idmap_option_maps_like_the_container_user_namespace(berth, bundle, cid, tmp_path):
    (tmp_path / "vol").mkdir()
    (tmp_path / "vol" / "f").write_text("x")

    def edit(c, b):
        userns(c, rootfs=b.rootfs)
        add_mount(c, "/idm", "bind", str(tmp_path / "vol"), ["rbind", "idmap"])
        add_mount(c, "/plain", "bind", str(tmp_path / "vol"), ["rbind"])
    seen = probe(berth, bundle, cid, "stat=/idm/f", "stat=/plain/f", edit=edit)
    assert seen["stat"]["/idm/f"]["uid"] == 0          # host root seen as container root
    assert seen["stat"]["/plain/f"]["uid"] == 65534    # unmapped without the idmap


def test_idmap_on_a_non_bind_mount_is_refused(berth, bundle, cid):
    b = bundle()
    add_mount(b.config, "/mnt", "tmpfs", "tmpfs", ["idmap"])
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "mounts[7]: idmapped mounts are only supported for bind mounts" in r.stderr


def test_sysfs_in_a_user_namespace_without_its_own_network_is_bound(berth, bundle, cid):
    def edit(c, b):
        userns(c, rootfs=b.rootfs)
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"]
                                    if n["type"] != "network"]
    seen = probe(berth, bundle, cid, edit=edit)
    assert mount_at(seen, "/sys")["fs_type"] == "sysfs"


def test_no_pivot_moves_the_rootfs_onto_slash_and_chroots(berth, bundle, cid):
    b = bundle(["/probe"])
    seen = json.loads(run(berth, b, cid, flags=["--no-pivot"]).stdout)
    root = mount_at(seen, "/")
    assert root["root"] == b.rootfs and "ro" in root["options"]
    assert seen["cwd"] == "/"
    assert mount_at(seen, "/proc")["fs_type"] == "proc"


def test_mount_label_without_selinux_is_an_error(berth, bundle, cid):
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is enabled here")
    b = bundle()
    b.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "linux.mountLabel: selinux is not enabled on this host" in r.stderr


def test_mount_ns_is_required(berth, bundle, cid):
    b = bundle()
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"]
                                       if n["type"] != "mount"]
    r = run(berth, b, cid, check=False)
    assert r.returncode != 0
    assert "a mount namespace is required" in r.stderr


def test_no_mount_is_left_on_the_host(berth, bundle, cid, tmp_path):
    b = bundle()
    before = open("/proc/self/mountinfo").read().count(b.rootfs)
    run(berth, b, cid)
    assert open("/proc/self/mountinfo").read().count(b.rootfs) == before == 0
