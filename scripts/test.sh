#!/bin/bash
# Install, build and run every test suite; the last line sums them all:
#   N passed, N failed, N skipped
# Each suite is an executable tests/suites/NN-name.sh, run from the top of the tree with the
# binaries built in place; it prints its own "N passed, N failed[, N skipped]" as its last line
# and exits non-zero on failure. BERTH_SUITES="unit lifecycle" runs only the named suites.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts/install-deps.sh test || { echo "0 passed, 1 failed"; exit 1; }
if [ ! -x configure ] || [ configure.ac -nt configure ]; then ./autogen.sh >/dev/null || exit 1; fi
if [ ! -f Makefile ]; then ./configure -q || { echo "0 passed, 1 failed"; exit 1; }; fi
make -s -j"$(nproc)" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0 skipped=0 broken=""
for suite in tests/suites/*.sh; do
	name=$(basename "$suite" .sh)
	if [ -n "${BERTH_SUITES:-}" ] && ! grep -qw "${name#*-}" <<<"$BERTH_SUITES"; then
		continue
	fi
	echo "=== suite $name"
	log=$(mktemp)
	start=$SECONDS
	"$suite" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
	if [ -z "$summary" ]; then
		echo "=== suite $name printed no summary (exit $rc)"
		failed=$((failed + 1)) broken="$broken $name"
		continue
	fi
	read -r p _ f _ s _ <<<"$(tr -d ',' <<<"$summary")"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1)) broken="$broken $name"
	fi
	echo "=== suite $name: $summary ($((SECONDS - start)) s)"
done
[ -z "$broken" ] || echo "suites that failed outside their tests:$broken"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
