#!/usr/bin/python3
"""What the compiled-filter cache saves: `berth create` with a Docker-sized seccomp profile
(bench/seccomp-profile.py), a cold cache (<root>/seccomp-cache removed) and a warm one,
interleaved so that a busy machine shifts both alike. Run as root from a built tree:

    bench/seccomp-cache.py [--berth PATH] [-n N]

Prints the median and p10-p90 of each and the gain per create. Containers are deleted and the
temporary root and bundle removed on the way out.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_bundle(berth, path):
    os.makedirs(os.path.join(path, "rootfs", "bin"))
    shutil.copy2("/bin/busybox", os.path.join(path, "rootfs", "bin", "busybox"))
    os.symlink("busybox", os.path.join(path, "rootfs", "bin", "true"))
    subprocess.run([berth, "spec", "--bundle", path], check=True)
    with open(os.path.join(path, "config.json")) as f:
        config = json.load(f)
    config["process"]["args"] = ["/bin/true"]
    config["process"]["terminal"] = False
    profiled = subprocess.run([sys.executable, os.path.join(TOP, "bench", "seccomp-profile.py")],
                              input=json.dumps(config), capture_output=True, text=True,
                              check=True).stdout
    with open(os.path.join(path, "config.json"), "w") as f:
        f.write(profiled)
    return json.loads(profiled)["linux"]["seccomp"]


def spread(xs):
    xs = sorted(xs)
    return f"{statistics.median(xs):.1f} ms ({xs[len(xs) // 10]:.1f}-{xs[len(xs) * 9 // 10]:.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--berth", default=os.path.join(TOP, "berth"))
    parser.add_argument("-n", type=int, default=40, help="creates of each kind")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="berth-bench-")
    root = tempfile.mkdtemp(prefix="berth-bench-root-", dir="/run")
    bundle = os.path.join(work, "bundle")
    times = {"cold": [], "warm": []}
    try:
        profile = make_bundle(args.berth, bundle)
        for _ in range(args.n):
            for kind in ("cold", "warm"):
                if kind == "cold":
                    shutil.rmtree(os.path.join(root, "seccomp-cache"), ignore_errors=True)
                start = time.perf_counter()
                subprocess.run([args.berth, "--root", root, "create", "--bundle", bundle, "c"],
                               check=True, stderr=subprocess.DEVNULL)
                times[kind].append((time.perf_counter() - start) * 1000)
                subprocess.run([args.berth, "--root", root, "delete", "--force", "c"], check=True)
    finally:
        subprocess.run([args.berth, "--root", root, "delete", "--force", "c"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    names = sum(len(r["names"]) for r in profile["syscalls"])
    print(f"profile: {names} syscall names in {len(profile['syscalls'])} rules, "
          f"{len(profile['architectures'])} architectures")
    print(f"create, cold cache: {spread(times['cold'])}")
    print(f"create, warm cache: {spread(times['warm'])}")
    cold, warm = statistics.median(times["cold"]), statistics.median(times["warm"])
    print(f"gain: {cold - warm:.1f} ms per create ({(cold - warm) / cold:.0%} of a cold create)")


if __name__ == "__main__":
    main()
