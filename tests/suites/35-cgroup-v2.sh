#!/bin/bash
# cgroup v2 in the pure-v2 test VM (tests/vm/run): one boot runs tests/cgroup/cgroup-v2-test,
# which creates real cgroups through libberth and checks each linux.resources field in the
# kernel's files and its effect (OOM kill, pids.max, device filter, freezer, cgroup.kill), then
# tests/cgroup/cli-v2.sh, which does the same through real containers and the berth CLI
# (values seen from the VM and from inside the container, update, pause, kill --all).
# null_blk gives io.max a block device when the module exists. The test prints its own
# "N passed, N failed" line; a VM that cannot boot is a failure, never a pass.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
test=tests/cgroup/cgroup-v2-test
if [ ! -x "$test" ]; then
	echo "FAIL $test is not built"
	echo "0 passed, 1 failed"
	exit 1
fi
out=$(mktemp)
# The VM sees the host's tree but not its /tmp: the bundles live under /var/tmp.
bundles=$(mktemp -d /var/tmp/berth-v2-bundles.XXXXXX)
trap 'rm -rf "$out" "$bundles"' EXIT
/usr/bin/python3 tests/cgroup/make-v2-bundles.py ./berth "$bundles" || {
	echo "0 passed, 1 failed"
	exit 1
}
tests/vm/run --timeout "${BERTH_VM_TIMEOUT:-600}" -- sh -c \
	"modprobe null_blk nr_devices=1 >/dev/null 2>&1; $test; tests/cgroup/cli-v2.sh $bundles" |
	tee "$out"
rc=${PIPESTATUS[0]}
summaries=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out")
if [ "$(wc -l <<<"$summaries")" -ne 2 ]; then
	echo "FAIL the VM run did not print both summaries (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
read -r passed failed < <(awk '{ p += $1; f += $3 } END { print p, f }' <<<"$summaries")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
