#!/bin/sh
# Install what berth needs from Debian's repositories.
#   scripts/install-deps.sh build   what building and the hello-world demo need
#   scripts/install-deps.sh test    that, plus everything the test suites use
#   scripts/install-deps.sh NAME    one list, scripts/deps/NAME.txt (bench/run uses "bench")
# Package lists live in scripts/deps/*.txt, one package a line (# starts a comment).
set -eu
cd "$(dirname "$0")/deps"
case "${1:-build}" in
build) lists=build.txt ;;
test) lists=$(ls ./*.txt) ;;
*) if [ -f "./$1.txt" ]; then lists=./$1.txt; else echo "usage: $0 build|test|LIST" >&2; exit 2; fi ;;
esac
missing=
for pkg in $(sed 's/#.*//' $lists | sort -u); do
	case "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" in
	*" ok installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
