#!/bin/sh
# The hello-world demo: build a bundle whose rootfs holds only the static hello program, write its
# config.json with `berth spec`, run it with `berth run`, and remove the bundle again.
#   scripts/demo.sh                      run it with ./berth from the top of a built tree
#   BERTH=/usr/sbin/runc scripts/demo.sh the same bundle under another runtime
# It changes nothing outside its temporary directory and the runtime's state directory, and leaves
# no container behind, even when interrupted. Its exit status is the container's.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
berth=${BERTH:-$top/berth}
hello=$top/contrib/hello-world/hello

if [ ! -x "$hello" ] || [ ! -x "$berth" ]; then
	echo "demo.sh: $hello or $berth is missing: build first (./autogen.sh && ./configure && make)" >&2
	exit 1
fi

bundle=$(mktemp -d "${TMPDIR:-/tmp}/berth-hello.XXXXXX")
id=hello-$$
cleanup() {
	# `delete --force` of a container that is already gone succeeds, so this is safe after run.
	"$berth" delete --force "$id" >/dev/null 2>&1 || true
	rm -rf "$bundle"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir "$bundle/rootfs"
cp "$hello" "$bundle/rootfs/hello"
(cd "$bundle" && "$berth" spec)

# The default spec runs an interactive `sh` on a terminal; the demo runs /hello on plain stdio.
# sed -z sees the whole file at once, so this holds however the JSON is laid out.
sed -z -i -e 's|"args":[[:space:]]*\[[^]]*\]|"args": ["/hello"]|' \
	-e 's|"terminal":[[:space:]]*true|"terminal": false|' "$bundle/config.json"
if ! grep -q '"/hello"' "$bundle/config.json" || grep -q '"terminal":[[:space:]]*true' "$bundle/config.json"; then
	echo "demo.sh: $bundle/config.json: could not set process.args to [\"/hello\"] and process.terminal to false" >&2
	exit 1
fi

status=0
"$berth" run -b "$bundle" "$id" || status=$?
exit "$status"
