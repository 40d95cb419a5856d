#!/bin/bash
# Build the libFuzzer target for config.json (tests/fuzz/fuzz-config.c) with clang and run it
# for a bounded time:  tests/fuzz/run.sh [SECONDS]   (default 60)
# Run from anywhere inside a configured tree (config.h must exist at the top). Inputs that
# crash are kept in tests/fuzz/out/ (crash-*, leak-*, ...) and printed for reproduction:
#   tests/fuzz/out/fuzz-config tests/fuzz/out/crash-<sha1>
# Needs clang and libclang-rt-14-dev (scripts/deps/test-runtime.txt). Never writes to the seed
# corpus: new inputs go to a scratch directory that is removed afterwards.
set -uo pipefail
seconds=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=tests/fuzz/out
mkdir -p "$out"

if [ ! -f config.h ]; then
	echo "fuzz: config.h missing: run ./configure first" >&2
	exit 2
fi
if ! command -v clang >/dev/null; then
	echo "fuzz: clang not found: install clang and libclang-rt-14-dev" >&2
	exit 2
fi

# shellcheck disable=SC2046
clang -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I. -Ilibocispec $(pkg-config --cflags yajl) \
	-o "$out/fuzz-config" tests/fuzz/fuzz-config.c libocispec/walker.c libocispec/parse.c \
	libocispec/generate.c libocispec/runtime.c libocispec/image.c \
	$(pkg-config --libs yajl) || { echo "fuzz: build failed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$out/fuzz-config.log"
echo "fuzz: running fuzz-config for ${seconds}s (log: $log)"
"$out/fuzz-config" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=16384 -dict=tests/fuzz/config.dict -artifact_prefix="$out/" -print_final_stats=1 \
	"$work" tests/fuzz/corpus >"$log" 2>&1
rc=$?
# libFuzzer's last status line: "#N DONE cov: ... ft: ... corp: ... exec/s: ..."
grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1
grep -E '^stat::number_of_executed_units' "$log"
if [ "$rc" -ne 0 ]; then
	grep -E 'ERROR: |fuzz-config: |SUMMARY: |Test unit written to' "$log" | head -n 20
	echo "fuzz: fuzz-config failed (exit $rc)"
	exit 1
fi
echo "fuzz: fuzz-config found nothing in ${seconds}s"
