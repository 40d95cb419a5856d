#!/bin/bash
# Unit tests (tests/unit, TAP): `make check` under automake, then every unit binary again under
# valgrind (memory errors and leaks) and built with ASan+UBSan (`make unit-asan`).
# Counts every TAP test of `make check` from automake's .trs files, plus one test per binary
# per checker. Run from the top of a built tree; last line: "N passed, N failed[, N skipped]".
# It never touches the system: no root needed, nothing left behind but build products.
set -uo pipefail
cd "$(dirname "$0")/../.."

passed=0 failed=0 skipped=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

count() { # count RESULT NAME
	case $1 in
	pass) passed=$((passed + 1)) ;;
	skip) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); echo "FAIL: $2" ;;
	esac
}

# 1. make check. A build failure counts as one failed test; a test binary that crashed shows
#    up as an ERROR line in its .trs.
find . -name '*.trs' -delete
rm -f test-suite.log
if ! make -s -j"$(nproc)" check >"$logdir/check.out" 2>&1 && [ -z "$(find . -name '*.trs')" ]; then
	tail -n 30 "$logdir/check.out"
	count fail "make check (build)"
fi
# Every automake test anywhere in the tree, one .trs per test program.
while read -r trs; do
	while read -r _ result; do
		case $result in
		PASS | XFAIL) count pass "" ;;
		SKIP) count skip "" ;;
		*) count fail "$(basename "$trs" .trs) ($result)" ;;
		esac
	done < <(grep '^:test-result:' "$trs")
done < <(find . -name '*.trs' | sort)
grep -h '^\(FAIL\|ERROR\|XPASS\):' test-suite.log 2>/dev/null | head -n 40
echo "make check: $passed passed, $failed failed, $skipped skipped"

unit_tests=$(sed -n 's|^\t\(tests/unit/test-[a-z0-9-]*\) *\\*$|\1|p' tests/unit/Makefile.inc)

# A run passes when the binary exits 0 and printed no "not ok".
run_checked() { # run_checked NAME LOG COMMAND...
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1 && ! grep -q '^not ok' "$log"; then
		count pass "$name"
	else
		count fail "$name"
		grep -v '^ok ' "$log" | head -n 30
	fi
}

# 2. valgrind over the binaries make check built.
if command -v valgrind >/dev/null; then
	for t in $unit_tests; do
		run_checked "valgrind $t" "$logdir/vg.log" \
			valgrind -q --error-exitcode=1 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$t"
	done
else
	echo "valgrind not installed (scripts/deps/test-runtime.txt lists it)"
	count fail "valgrind"
fi

# 3. ASan + UBSan copies of the same tests.
if make -s unit-asan >"$logdir/asan-build.out" 2>&1; then
	for t in $unit_tests; do
		run_checked "asan $t" "$logdir/asan.log" \
			env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$t-asan"
	done
else
	tail -n 30 "$logdir/asan-build.out"
	count fail "make unit-asan"
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
