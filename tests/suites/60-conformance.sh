#!/bin/bash
# The runtime-spec conformance suite (conformance/run) against the built ./berth: one row per
# MUST/SHOULD requirement, then the summary line. Any failed MUST fails the suite; SHOULD and
# runc-compatibility (COMPAT) rows may fail with a note. delete-created is the one expected MUST
# failure: runc and crun also delete a created container without --force, and berth keeps that
# behaviour on purpose (tests/integration/test_lifecycle.py checks it) for clients written
# against runc.
cd "$(dirname "$0")/../.." || exit 1
if [ ! -x conformance/probe ] || [ ! -x berth ]; then
	echo "60-conformance: build first (./berth and conformance/probe are missing)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 conformance/run --runtime ./berth --probe conformance/probe --ci \
	--expect-fail delete-created "$@"
