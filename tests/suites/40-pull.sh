#!/bin/bash
# berth-pull end to end: real registries (Debian's docker-registry) on 127.0.0.1 in plain
# HTTP, TLS and token-auth modes, a token issuer and a faulty proxy, all started and stopped
# by tests/pull/ (pytest). Prints "N passed, N failed[, N skipped]" last.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x ./berth-pull ]; then
	echo "berth-pull is not built (configure --disable-pull?)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The caller's proxy variables must not send loopback traffic elsewhere.
PYTHONDONTWRITEBYTECODE=1 env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/pull "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '(passed|failed|skipped|error)' "$log" | tail -n 1)
count() { grep -oE "[0-9]+ $1" <<<"$summary" | grep -oE '^[0-9]+' | head -n 1; }
p=$(count passed) f=$(count failed) s=$(count skipped) e=$(count error)
p=${p:-0} f=$(( ${f:-0} + ${e:-0} )) s=${s:-0}
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
