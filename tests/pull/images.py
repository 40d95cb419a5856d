"""Test images built offline: layers as tar archives made with Python's tarfile, manifests and
configs as the image-spec describes them, pushed to a registry with the distribution API."""
import gzip
import hashlib
import http.client
import io
import json
import os
import subprocess
import tarfile
import urllib.parse

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZ = OCI_LAYER + "+gzip"
OCI_LAYER_ZSTD = OCI_LAYER + "+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layer:
    """A tar layer under construction; entries keep the order they are added in."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)

    def _add(self, info, data=None):
        info.mtime = info.mtime or 1600000000
        self.tar.addfile(info, io.BytesIO(data) if data is not None else None)

    def dir(self, name, mode=0o755, uid=0, gid=0, xattrs=None):
        i = tarfile.TarInfo(name)
        i.type, i.mode, i.uid, i.gid = tarfile.DIRTYPE, mode, uid, gid
        if xattrs:
            i.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        self._add(i)

    def file(self, name, data=b"", mode=0o644, uid=0, gid=0, xattrs=None, mtime=None):
        if isinstance(data, str):
            data = data.encode()
        i = tarfile.TarInfo(name)
        i.size, i.mode, i.uid, i.gid = len(data), mode, uid, gid
        if mtime:
            i.mtime = mtime
        if xattrs:
            i.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        self._add(i, data)

    def symlink(self, name, target):
        i = tarfile.TarInfo(name)
        i.type, i.linkname, i.mode = tarfile.SYMTYPE, target, 0o777
        self._add(i)

    def hardlink(self, name, target):
        i = tarfile.TarInfo(name)
        i.type, i.linkname = tarfile.LNKTYPE, target
        self._add(i)

    def fifo(self, name, mode=0o600):
        i = tarfile.TarInfo(name)
        i.type, i.mode = tarfile.FIFOTYPE, mode
        self._add(i)

    def chardev(self, name, major, minor, mode=0o666):
        i = tarfile.TarInfo(name)
        i.type, i.mode, i.devmajor, i.devminor = tarfile.CHRTYPE, mode, major, minor
        self._add(i)

    def blob(self, compression="gzip"):
        self.tar.close()
        raw = self.buf.getvalue()
        if compression == "gzip":
            return gzip.compress(raw, 6, mtime=0), raw
        if compression == "zstd":
            z = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True)
            return z.stdout, raw
        return raw, raw


class Image:
    """One platform image: layers, config, manifest, as blobs keyed by digest."""

    def __init__(self, layers, config=None, docker=False, arch="amd64", variant=None,
                 created="2024-01-02T03:04:05Z"):
        self.blobs = {}
        self.docker = docker
        descs, diff_ids = [], []
        for layer, compression in layers:
            data, raw = layer.blob(compression)
            mt = {"gzip": DOCKER_LAYER if docker else OCI_LAYER_GZ, "zstd": OCI_LAYER_ZSTD,
                  "none": OCI_LAYER}[compression]
            self.blobs[sha(data)] = data
            descs.append({"mediaType": mt, "digest": sha(data), "size": len(data)})
            diff_ids.append(sha(raw))
        cfg = {"created": created, "architecture": arch, "os": "linux",
               "config": config or {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        if variant:
            cfg["variant"] = variant
        cfg_bytes = json.dumps(cfg).encode()
        self.config_digest = sha(cfg_bytes)
        self.blobs[self.config_digest] = cfg_bytes
        man = {"schemaVersion": 2,
               "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
               "config": {"mediaType": DOCKER_CONFIG if docker else OCI_CONFIG,
                          "digest": self.config_digest, "size": len(cfg_bytes)},
               "layers": descs}
        self.manifest = json.dumps(man, indent=2).encode()
        self.media_type = man["mediaType"]
        self.digest = sha(self.manifest)
        self.layers = descs
        self.platform = {"os": "linux", "architecture": arch}
        if variant:
            self.platform["variant"] = variant


class Registry:
    """Speaks just enough of the distribution API to push."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def _conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def push_blob(self, name, digest, data):
        c = self._conn()
        c.request("HEAD", f"/v2/{name}/blobs/{digest}")
        r = c.getresponse()
        r.read()
        if r.status == 200:
            return
        c.request("POST", f"/v2/{name}/blobs/uploads/")
        r = c.getresponse()
        r.read()
        assert r.status == 202, (r.status, name)
        loc = r.getheader("Location")
        u = urllib.parse.urlsplit(loc)
        q = (u.query + "&" if u.query else "") + "digest=" + urllib.parse.quote(digest)
        c.request("PUT", f"{u.path}?{q}", body=data,
                  headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse()
        r.read()
        assert r.status == 201, (r.status, name, digest)

    def push_manifest(self, name, ref, media_type, body):
        c = self._conn()
        c.request("PUT", f"/v2/{name}/manifests/{ref}", body=body,
                  headers={"Content-Type": media_type})
        r = c.getresponse()
        text = r.read()
        assert r.status == 201, (r.status, name, ref, text)

    def push_image(self, name, tag, image):
        for d, data in image.blobs.items():
            self.push_blob(name, d, data)
        self.push_manifest(name, tag, image.media_type, image.manifest)

    def push_index(self, name, tag, images, docker=False, attestation=True):
        manifests = []
        for img in images:
            for d, data in img.blobs.items():
                self.push_blob(name, d, data)
            self.push_manifest(name, img.digest, img.media_type, img.manifest)
            manifests.append({"mediaType": img.media_type, "digest": img.digest,
                              "size": len(img.manifest), "platform": img.platform})
        if attestation:
            # What buildkit adds: an unknown/unknown entry that must be skipped.
            att = Image([], config={}, arch="unknown")
            for d, data in att.blobs.items():
                self.push_blob(name, d, data)
            self.push_manifest(name, att.digest, att.media_type, att.manifest)
            manifests.append({"mediaType": att.media_type, "digest": att.digest,
                              "size": len(att.manifest),
                              "platform": {"os": "unknown", "architecture": "unknown"},
                              "annotations": {"vnd.docker.reference.type": "attestation-manifest",
                                              "vnd.docker.reference.digest": images[0].digest}})
        mt = DOCKER_LIST if docker else OCI_INDEX
        idx = json.dumps({"schemaVersion": 2, "mediaType": mt, "manifests": manifests}).encode()
        self.push_manifest(name, tag, mt, idx)
        return sha(idx)


def build_static_hello(workdir):
    """A tiny static C program: the payload of the hello image."""
    src = os.path.join(workdir, "hello.c")
    out = os.path.join(workdir, "hello")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(int c, char **v) {\n'
                '  printf("Hello from berth-pull!\\n");\n'
                '  for (int i = 1; i < c; i++) printf("arg %s\\n", v[i]);\n  return 0;\n}\n')
    subprocess.run(["gcc", "-static", "-Os", "-s", "-o", out, src], check=True)
    with open(out, "rb") as f:
        return f.read()
