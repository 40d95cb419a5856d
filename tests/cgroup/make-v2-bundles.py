#!/usr/bin/python3
"""Build the bundles tests/cgroup/cli-v2.sh runs inside the test VM (python3 is slow there,
so the JSON is written on the host). Usage: make-v2-bundles.py BERTH DIR"""
import json
import os
import shutil
import subprocess
import sys

berth, top = sys.argv[1], sys.argv[2]
rootfs = os.path.join(top, "rootfs")
for d in ("bin", "proc", "sys", "dev", "tmp"):
    os.makedirs(os.path.join(rootfs, d), exist_ok=True)
shutil.copy2("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
for applet in ("sh", "cat", "sleep", "true", "echo", "head", "tr"):
    os.symlink("busybox", os.path.join(rootfs, "bin", applet))

tmp = os.path.join(top, "spec")
os.makedirs(tmp)
subprocess.run([berth, "spec", "--bundle", tmp], check=True)
with open(os.path.join(tmp, "config.json")) as f:
    spec = json.load(f)

BUNDLES = {
    "mem": (["/bin/sleep", "30"], {"memory": {"limit": 67108864, "reservation": 33554432}}),
    "oom": (["/bin/sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"],
            {"memory": {"limit": 16777216, "swap": 16777216}}),
    "pids": (["/bin/sh", "-c", "cat /sys/fs/cgroup/pids.max; i=0; "
              "while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done"], {"pids": {"limit": 10}}),
    "cpu": (["/bin/cat", "/sys/fs/cgroup/cpu.weight", "/sys/fs/cgroup/cpu.max"],
            {"cpu": {"shares": 1024, "quota": 50000, "period": 100000}}),
    # /dev/kmsg exists in the container (linux.devices) but the cgroup denies it; runc's
    # default devices (null, zero, ...) are always allowed, so they cannot serve here.
    "dev": (["/bin/sh", "-c", "head -c 0 /dev/kmsg && echo opened"],
            {"devices": [{"allow": False, "type": "c", "major": 1, "minor": 11,
                          "access": "rwm"}]}),
    "all": (["/bin/sh", "-c", "sleep 30 & sleep 30 & wait"], {}),
    # MAJ:MIN are null_blk's numbers, filled in inside the VM once the module is loaded.
    "wdev": (["/bin/cat", "/sys/fs/cgroup/io.bfq.weight"],
             {"blockIO": {"weightDevice": [{"major": 9991, "minor": 9992, "weight": 300}]}}),
}
# Fields cgroup v2 has no file for: create must fail naming the field.
REFUSED = {
    "kernel": {"memory": {"kernel": 1048576}},
    "kerneltcp": {"memory": {"kernelTCP": 1048576}},
    "swappiness": {"memory": {"swappiness": 10}},
    "nooom": {"memory": {"disableOOMKiller": True}},
    "leaf": {"blockIO": {"leafWeight": 300}},
}
# No RDMA device exists in the VM: a limit for one is an error naming the device.
BUNDLES["rdma"] = (["/bin/true"], {"rdma": {"mlx5_0": {"hcaHandles": 2, "hcaObjects": 10}}})
for name, resources in REFUSED.items():
    BUNDLES["refused-" + name] = (["/bin/true"], resources)
for name, (args, resources) in BUNDLES.items():
    cfg = json.loads(json.dumps(spec))
    cfg["process"]["args"] = args
    cfg["process"]["terminal"] = False
    cfg["root"] = {"path": rootfs, "readonly": False}
    cfg["linux"]["namespaces"].append({"type": "cgroup"})
    cfg["linux"]["resources"] = resources
    cfg["linux"]["cgroupsPath"] = f"/berth-v2/{name}"
    if name == "dev":
        cfg["linux"]["devices"] = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}]
    os.makedirs(os.path.join(top, name))
    with open(os.path.join(top, name, "config.json"), "w") as f:
        json.dump(cfg, f)
