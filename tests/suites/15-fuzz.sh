#!/bin/bash
# The config.json fuzzer (tests/fuzz/run.sh) for a bounded time: 60 s, or FUZZ_SECONDS.
# One test: "1 passed, 0 failed" when libFuzzer found nothing, "0 passed, 1 failed" when it
# found a crash, a leak, a sanitizer report or an unstable round trip (the input is kept in
# tests/fuzz/out/). Run from the top of a configured tree.
set -uo pipefail
cd "$(dirname "$0")/../.."
if tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
