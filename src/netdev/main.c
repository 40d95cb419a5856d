/*
 * berth-netdev: moves linux.netDevices into a container's network namespace for berth.
 *   berth-netdev HOST_NAME NAME [HOST_NAME NAME ...]
 * The container's network namespace is open on fd 3. berth runs it on the host, from the
 * parent, after the clone and before the container's process exists; it exits 0, or 1 with one
 * line on stderr that berth reports as its own error. It lives apart from berth so that berth
 * itself can be one static executable: libmnl, which rtnetlink is spoken with here, comes
 * from Debian only as a shared library. It must never be run from inside a container.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "move.h"

#define NETNS_FD 3

int main(int argc, char **argv)
{
	struct berth_error *err = NULL;
	struct netdev_move *devs;
	size_t n, i;

	if (argc < 3 || (argc - 1) % 2 != 0) {
		fprintf(stderr, "usage: berth-netdev HOST_NAME NAME [HOST_NAME NAME ...] "
				"(the container's network namespace on fd 3)\n");
		return 2;
	}
	n = (size_t)(argc - 1) / 2;
	devs = calloc(n, sizeof(*devs));
	if (devs == NULL) {
		fputs("out of memory\n", stderr);
		return 1;
	}
	for (i = 0; i < n; i++) {
		devs[i].host_name = argv[1 + 2 * i];
		devs[i].name = argv[2 + 2 * i];
	}
	if (netdev_move_all(NETNS_FD, devs, n, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		berth_error_free(err);
		free(devs);
		return 1;
	}
	free(devs);
	return 0;
}
