#!/bin/bash
# The hello-world demo (the end of README command 1): scripts/demo.sh runs the static hello
# program under berth, prints the greeting, exits 0 and leaves no bundle and no container behind.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
berth=${BERTH:-$top/berth}
hello=$top/contrib/hello-world/hello
scratch=$(mktemp -d "${TMPDIR:-/tmp}/berth-demo-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0 failed=0

check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		failed=$((failed + 1))
	fi
}

no_program_interpreter() { ! readelf -l "$hello" | grep -q 'INTERP'; }
check test_hello_is_static no_program_interpreter

before=$("$berth" list -q 2>&1)
out=$(TMPDIR=$scratch BERTH=$berth "$top/scripts/demo.sh" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check test_demo_exits_0 [ "$rc" -eq 0 ]
check test_demo_prints_the_greeting grep -qx 'Hello from berth!' <<<"$out"
check test_demo_says_the_installation_works \
	grep -qx 'This message shows that your installation appears to be working correctly.' <<<"$out"
check test_demo_explains_create_and_start grep -q 'berth created the container' <<<"$out"
check test_demo_removes_its_bundle [ -z "$(ls -A "$scratch")" ]
after=$("$berth" list -q 2>&1)
check test_demo_leaves_no_container [ "$before" = "$after" ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
