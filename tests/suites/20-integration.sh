#!/bin/bash
# The runtime's integration tests: real containers driven through the built ./berth.
cd "$(dirname "$0")/../.." || exit 1
exec tests/run-pytest.sh tests/integration "$@"
