#!/bin/bash
# cgroup v2 in the pure-v2 test VM (tests/vm/run): one boot runs tests/cgroup/cgroup-v2-test,
# which creates real cgroups through libberth and checks each linux.resources field in the
# kernel's files and its effect (OOM kill, pids.max, device filter, freezer, cgroup.kill).
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
trap 'rm -f "$out"' EXIT
tests/vm/run --timeout "${BERTH_VM_TIMEOUT:-600}" -- sh -c \
	"modprobe null_blk nr_devices=1 >/dev/null 2>&1; $test" | tee "$out"
rc=${PIPESTATUS[0]}
if ! tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
	echo "FAIL the VM run ended without a summary (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
exit "$rc"
