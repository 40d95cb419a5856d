"""Build the clients' test image offline: a busybox-static rootfs with the static hello program.

The rootfs goes out three ways, one per client's import path: a plain tarball (`docker import`),
an OCI image-layout archive (`ctr images import`, `podman load`). Everything is written by this
file from the host's busybox-static and the tree's contrib/hello-world/hello: nothing is pulled.
It must never write outside the directory it is given.
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HELLO = os.path.join(TOP, "contrib", "hello-world", "hello")
BUSYBOX = "/bin/busybox"
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def make_rootfs(root):
    """busybox-static with its applets in /bin, /hello, and the files engines expect."""
    for d in ("bin", "dev", "proc", "sys", "tmp", "etc", "root", "run", "var", "usr/bin"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for applet in applets:
        if applet != "busybox":
            os.symlink("busybox", os.path.join(root, "bin", applet))
    shutil.copy2(HELLO, os.path.join(root, "hello"))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
                "app:x:1000:1000:app:/tmp:/bin/sh\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\napp:x:1000:\n")
    for name in ("hosts", "resolv.conf", "hostname"):
        open(os.path.join(root, "etc", name), "w").close()


def _tar_rootfs(root):
    """The rootfs as an uncompressed tar held in memory, root-owned, sorted for a stable digest."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def reset(info):
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mtime = 0
            return info
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                path = os.path.join(dirpath, name)
                tar.add(path, arcname=os.path.relpath(path, root), recursive=False, filter=reset)
    return buf.getvalue()


def make_rootfs_tar(root, dest):
    with open(dest, "wb") as f:
        f.write(_tar_rootfs(root))
    return dest


def make_oci_archive(root, dest, name, cmd=("/bin/sh",)):
    """An OCI image layout (one gzip layer) tarred up, tagged `name` through the annotations
    containerd (io.containerd.image.name) and Podman (org.opencontainers.image.ref.name) read."""
    layer_tar = _tar_rootfs(root)
    layer = gzip.compress(layer_tar, mtime=0)
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"digest": digest, "size": len(data)}

    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Env": [PATH_ENV], "Cmd": list(cmd), "WorkingDir": "/"},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]},
        "history": [{"created_by": "berth tests/clients/image.py"}],
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   **blob(json.dumps(config).encode())},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(layer)}],
    }
    index = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       **blob(json.dumps(manifest).encode()),
                       "annotations": {"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name": name}}],
    }
    with tarfile.open(dest, "w") as tar:
        def add(arcname, data):
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest.split(":", 1)[1], data)
    return dest
