#!/bin/sh
# linux.resources through the berth command line on pure cgroup v2, run inside the test VM by
# tests/suites/35-cgroup-v2.sh (after cgroup-v2-test, which checks the driver alone). Each
# check creates a real container and reads the value from the host side of the VM and from
# inside the container (its own cgroup namespace), or observes the effect.
# Prints "N passed, N failed" last; uses only busybox and the built ./berth.
# $1: the bundles tests/cgroup/make-v2-bundles.py made.
top=$(pwd)
berth="$top/berth --root /run/berth-v2"
work=$1
passed=0 failed=0

ok() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
check() { # name expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

cg() { cat "/sys/fs/cgroup/berth-v2/$1/$2" 2>&1; }

# memory.limit and reservation, seen from both sides; the init was cloned straight in.
$berth run -d -b "$work/mem" mem || fail run-mem "exit $?"
check memory.max-host 67108864 "$(cg mem memory.max)"
check memory.low-host 33554432 "$(cg mem memory.low)"
check memory.max-inside 67108864 "$($berth exec mem cat /sys/fs/cgroup/memory.max)"
check init-in-its-cgroup "0::/" "$($berth exec mem cat /proc/1/cgroup)"
pid=$($berth state mem | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')
check init-cgroup-host "0::/berth-v2/mem" "$(cat /proc/$pid/cgroup)"

# update changes the live limit.
$berth update --memory 100M mem || fail update "exit $?"
check update-memory.max 104857600 "$(cg mem memory.max)"

# pause / resume through cgroup.freeze.
$berth pause mem
check state-paused '"paused"' "$($berth state mem | sed -n 's/.*"status": \("[a-z]*"\).*/\1/p')"
check cgroup.freeze-1 1 "$(cg mem cgroup.freeze)"
$berth resume mem
check cgroup.freeze-0 0 "$(cg mem cgroup.freeze)"
$berth delete -f mem
if [ -e /sys/fs/cgroup/berth-v2/mem ]; then fail cgroup-removed "still there"; else ok cgroup-removed; fi

# A memory hog is OOM-killed at the limit.
$berth run -b "$work/oom" oom >/dev/null 2>&1
check oom-killed 137 "$?"

# pids.limit stops a fork loop.
out=$($berth run -b "$work/pids" pids 2>"$work/pids.err")
check pids.max-inside 10 "$out"
if grep -q "can't fork" "$work/pids.err"; then ok pids.max-stops-forks; else
	fail pids.max-stops-forks "no fork failed: $(cat "$work/pids.err")"; fi

# cpu.shares → cpu.weight (runc's conversion), quota/period → cpu.max.
check cpu.weight+cpu.max "100 50000 100000" "$($berth run -b "$work/cpu" cpu | tr '\n' ' ' | sed 's/ $//')"

# A device denied by the BPF filter cannot be opened.
check device-denied "" "$($berth run -b "$work/dev" dev 2>/dev/null)"

# kill --all reaches every process through cgroup.kill.
$berth run -d -b "$work/all" all
$berth kill --all all KILL
sleep 0.2
check kill-all-stopped '"stopped"' "$($berth state all | sed -n 's/.*"status": \("[a-z]*"\).*/\1/p')"
$berth delete -f all

# blockIO.weightDevice → io.bfq.weight, on null_blk with the bfq scheduler.
dev=$(cat /sys/block/nullb0/dev 2>/dev/null)
if [ -n "$dev" ] && modprobe bfq 2>/dev/null && echo bfq >/sys/block/nullb0/queue/scheduler; then
	sed -i -e "s/9991/${dev%:*}/" -e "s/9992/${dev#*:}/" "$work/wdev/config.json"
	out=$($berth run -b "$work/wdev" wdev 2>&1)
	case "$out" in
	*"$dev 300"*) ok io.bfq.weight-device ;;
	*) fail io.bfq.weight-device "$out" ;;
	esac
else
	fail io.bfq.weight-device "no null_blk device with the bfq scheduler in the VM"
fi

# What v2 has no file for is refused, naming the field, and leaves no cgroup.
for f in kernel kernelTCP swappiness disableOOMKiller leafWeight; do
	name=refused-$(echo "$f" | tr 'A-Z' 'a-z')
	[ "$f" = disableOOMKiller ] && name=refused-nooom
	[ "$f" = leafWeight ] && name=refused-leaf
	err=$($berth run -b "$work/$name" "$name" 2>&1)
	case "$err" in
	*"$f: not supported on cgroup v2"*) ok "refused-$f" ;;
	*) fail "refused-$f" "$err" ;;
	esac
	[ -e "/sys/fs/cgroup/berth-v2/$name" ] && fail "refused-$f-left-a-cgroup" "it is there"
done

# resources.rdma is written to rdma.max; with no such device the kernel refuses it.
err=$($berth run -b "$work/rdma" rdma 2>&1)
case "$err" in
*rdma*mlx5_0*) ok rdma-unknown-device-is-an-error ;;
*) fail rdma-unknown-device-is-an-error "$err" ;;
esac
[ -e /sys/fs/cgroup/berth-v2/rdma ] && fail rdma-left-a-cgroup "it is there"

rmdir /sys/fs/cgroup/berth-v2 2>/dev/null
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
