#!/bin/bash
# berth under the container engines: containerd (ctr + runc v2 shim), Podman (conmon) and
# dockerd, each started by the tests with private roots and sockets (tests/clients/).
cd "$(dirname "$0")/../.." || exit 1
exec tests/run-pytest.sh tests/clients "$@"
