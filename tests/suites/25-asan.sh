#!/bin/bash
# The lifecycle tests again, against a berth built with AddressSanitizer and
# UndefinedBehaviorSanitizer (leak checking on): memory errors, undefined behaviour and leaks
# in any command fail the run. The copy is built from the tracked sources in a temp dir, since
# this tree is configured in place.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(mktemp -d /var/tmp/berth-asan.XXXXXX)
trap 'rm -rf "$build"' EXIT

cd "$top" || exit 1
git ls-files -z | xargs -0 cp --parents -t "$build" || { echo "0 passed, 1 failed"; exit 1; }
cd "$build" || exit 1
if ! { ./autogen.sh && ./configure -q --enable-asan --disable-pull && make -s -j"$(nproc)" berth; } \
	>build.log 2>&1; then
	tail -n 30 build.log
	echo "0 passed, 1 failed"
	exit 1
fi
# Any sanitizer report makes berth exit non-zero, so the tests see it as a failure.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
export BERTH="$build/berth"
cd "$top" && exec tests/run-pytest.sh tests/integration/test_lifecycle.py
