#!/bin/bash
# Run pytest (Debian's, under /usr/bin/python3) on the given paths and end with the summary
# line scripts/test.sh sums: "N passed, N failed, N skipped". pytest's "no tests ran" (exit 5)
# counts as a failure: a suite that runs nothing has not shown anything.
set -o pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
/usr/bin/python3 -m pytest -q -p no:cacheprovider -o junit_family=xunit2 -rfEs "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
last=$(grep -E '(passed|failed|error|skipped|no tests ran)' "$log" | tail -n 1)
count() { grep -oE "[0-9]+ $1" <<<"$last" | grep -oE '^[0-9]+' || echo 0; }
passed=$(count passed) failed=$(count failed) errors=$(count error) skipped=$(count skipped)
failed=$((failed + errors))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ]
