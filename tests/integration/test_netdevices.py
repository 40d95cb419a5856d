"""Network devices: loopback in a new network namespace and linux.netDevices.

Every test works inside a network namespace it creates: the test's veth interfaces
live there, berth runs inside it (nsenter --net), so that namespace is the "runtime's" one.
The host's own interfaces are never touched and traffic stays between those namespaces.
"""
import os
import re
import time
import subprocess

import pytest


def veth(ns, name):
    """A veth pair `name` / `name`p in `ns` (veth rather than dummy: some kernels, like
    the CI's, have no dummy driver)."""
    ip("link", "add", name, "type", "veth", "peer", "name", name + "p", ns=ns)


def ip(*args, ns=None, check=True):
    cmd = (["ip", "netns", "exec", ns, "ip"] if ns else ["ip"]) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


@pytest.fixture
def netns():
    name = "berth-test-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    ip("link", "set", "lo", "up", ns=name)
    yield name
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def run_in(netns, berth, b, cid):
    # nsenter rather than `ip netns exec`, which also mounts the namespace's own /sys and so
    # hides /sys/fs/cgroup from berth.
    cmd = ["nsenter", "--net=/run/netns/" + netns] + berth.cmd("run", "--bundle", b.path, cid)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def container(bundle, script, devices=None):
    b = bundle(args=["/bin/sh", "-c", script])
    caps = b.config["process"]["capabilities"]
    for kind in ("bounding", "effective", "permitted"):  # ping needs a raw socket
        caps[kind] = caps.get(kind, []) + ["CAP_NET_RAW"]
    lx = b.config["linux"]
    if not any(n["type"] == "network" for n in lx["namespaces"]):
        lx["namespaces"].append({"type": "network"})
    if devices is not None:
        lx["netDevices"] = devices
    return b.save()


def test_new_network_namespace_has_loopback_up(berth, bundle, cid, netns):
    b = container(bundle, "ip -o link show lo; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pong")
    r = run_in(netns, berth, b, cid)
    assert r.returncode == 0, r.stderr
    assert ",UP" in r.stdout.splitlines()[0]
    assert "pong" in r.stdout


def test_device_is_moved_renamed_readdressed_and_up(berth, bundle, cid, netns):
    veth(netns, "bdummy0")
    ip("addr", "add", "10.200.0.1/24", "dev", "bdummy0", ns=netns)
    ip("addr", "add", "10.200.1.1/24", "dev", "bdummy0", "label", "bdummy0:one", ns=netns)
    ip("addr", "add", "fd00:b::1/64", "dev", "bdummy0", "nodad", ns=netns)
    ip("link", "set", "bdummy0", "up", ns=netns)
    b = container(bundle, "ip -o link show; ip -o addr show dev eth7",
                  {"bdummy0": {"name": "eth7"}})
    r = run_in(netns, berth, b, cid)
    assert r.returncode == 0, r.stderr
    links = [line for line in r.stdout.splitlines() if re.search(r": eth7[@:]", line)]
    assert len(links) == 1 and ",UP" in links[0]
    assert "inet 10.200.0.1/24" in r.stdout
    assert "inet 10.200.1.1/24" in r.stdout and "eth7:one" in r.stdout  # label follows rename
    assert "inet6 fd00:b::1/64" in r.stdout
    # A virtual device dies with the container's namespace (a veth with its peer); the
    # kernel frees a namespace asynchronously, so give it a few seconds.
    deadline = time.monotonic() + 10
    while "bdummy0" in ip("-o", "link", "show", ns=netns).stdout:
        assert time.monotonic() < deadline, "the moved veth outlived the container"
        time.sleep(0.05)


def test_device_keeps_its_name_without_name(berth, bundle, cid, netns):
    veth(netns, "bdummy1")
    b = container(bundle, "ip -o link show bdummy1", {"bdummy1": {}})
    r = run_in(netns, berth, b, cid)
    assert r.returncode == 0, r.stderr
    assert re.search(r": bdummy1[@:]", r.stdout) and ",UP" in r.stdout


def test_veth_carries_traffic_between_the_namespaces(berth, bundle, cid, netns):
    ip("link", "add", "bveth-h", "type", "veth", "peer", "name", "bveth-c", ns=netns)
    ip("addr", "add", "10.201.0.1/24", "dev", "bveth-h", ns=netns)
    ip("addr", "add", "10.201.0.2/24", "dev", "bveth-c", ns=netns)
    ip("link", "set", "bveth-h", "up", ns=netns)
    b = container(bundle, "ping -c 1 -W 3 10.201.0.1 >/dev/null && echo reached",
                  {"bveth-c": {"name": "eth0"}})
    r = run_in(netns, berth, b, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "reached"


def test_missing_device_is_named_in_the_error(berth, bundle, cid, netns):
    b = container(bundle, "true", {"bnosuch0": {"name": "eth0"}})
    r = run_in(netns, berth, b, cid)
    assert r.returncode != 0
    assert "no network interface 'bnosuch0'" in r.stderr


@pytest.mark.parametrize("devices,message", [
    ({"bad/name": {}}, "'bad/name' is not a valid interface name"),
    ({"bdummy2": {"name": "a-name-far-too-long"}}, "'a-name-far-too-long' is not a valid"),
    ({"bdummy2": {"name": "eth0"}, "bdummy3": {"name": "eth0"}}, "the name 'eth0' is already used"),
])
def test_invalid_device_names_are_refused(berth, bundle, cid, netns, devices, message):
    for dev in ("bdummy2", "bdummy3"):
        veth(netns, dev)
    b = container(bundle, "true", devices)
    r = run_in(netns, berth, b, cid)
    assert r.returncode != 0
    assert message in r.stderr
    # Nothing was moved: both dummies are still in the test's namespace.
    links = ip("-o", "link", "show", ns=netns).stdout
    assert "bdummy2" in links and "bdummy3" in links


def test_net_devices_need_a_network_namespace(berth, bundle, cid, netns):
    veth(netns, "bdummy4")
    b = bundle(args=["/bin/true"])
    lx = b.config["linux"]
    lx["namespaces"] = [n for n in lx["namespaces"] if n["type"] != "network"]
    lx["netDevices"] = {"bdummy4": {}}
    b.save()
    r = run_in(netns, berth, b, cid)
    assert r.returncode != 0
    assert "linux.netDevices: the container needs a network namespace" in r.stderr
    assert "bdummy4" in ip("-o", "link", "show", ns=netns).stdout
