"""Helpers shared by the rootfs, namespace, terminal and mount-CVE tests: run a container
and read what /probe (or busybox) saw from inside."""
import json
import os
import subprocess


def run(berth, b, cid, check=True, flags=()):
    """`berth run [flags]` the bundle; returns the CompletedProcess."""
    b.save()
    return berth.run("run", *flags, "-b", b.path, cid, check=check)


def probe(berth, bundle, cid, *probe_args, edit=None):
    """Run /probe with `probe_args` in a default bundle changed by `edit(config, bundle)`;
    returns the JSON it printed."""
    b = bundle(["/probe", *probe_args])
    if edit:
        edit(b.config, b)
    r = run(berth, b, cid)
    return json.loads(r.stdout)


def shell(berth, bundle, cid, script, edit=None, check=True):
    b = bundle(["/bin/sh", "-c", script])
    if edit:
        edit(b.config, b)
    return run(berth, b, cid, check=check)


def mount_at(seen, path):
    """The top-most mount the container sees at `path`, or None."""
    found = [m for m in seen["mounts"] if m["mount_point"] == path]
    return found[-1] if found else None


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{kind}")


def add_mount(config, destination, type_, source, options=(), **extra):
    m = {"destination": destination, "type": type_, "source": source, "options": list(options)}
    m.update(extra)
    config["mounts"].append(m)
    return m


def drop_mount(config, destination):
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != destination]


def set_ns(config, kind, path=None):
    nss = [n for n in config["linux"]["namespaces"] if n["type"] != kind]
    entry = {"type": kind}
    if path:
        entry["path"] = path
    nss.append(entry)
    config["linux"]["namespaces"] = nss


def userns(config, host_id=100000, size=65536, rootfs=None):
    """Give the container a user namespace mapping 0..size-1 to host_id.., and hand the
    rootfs to the mapped root so it can use it."""
    set_ns(config, "user")
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": host_id, "size": size}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": host_id, "size": size}]
    if rootfs:
        subprocess.run(["chown", "-R", "-h", f"{host_id}:{host_id}", rootfs], check=True)
        # The mapped root must be able to reach its rootfs (pytest's tmp dirs are 0700).
        d = os.path.dirname(rootfs)
        while d != "/":
            os.chmod(d, os.stat(d).st_mode | 0o111)
            d = os.path.dirname(d)


class HostMount:
    """A tmpfs mounted on the host for the duration of a test (a submount to bind)."""

    def __init__(self, path):
        self.path = str(path)
        os.makedirs(self.path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "berth-test", self.path],
                       check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", "-l", self.path], check=False)
