/*
 * berth-netdev's netlink work: move network devices into a container's network namespace.
 */
#ifndef BERTH_NETDEV_MOVE_H
#define BERTH_NETDEV_MOVE_H

#include <stddef.h>

#include "error.h"

/* One linux.netDevices entry: the host's interface and its name in the container. */
struct netdev_move {
	const char *host_name;
	const char *name;
};

/* Move each device into the network namespace `nsfd`, renamed to `name`, with its permanent
 * global addresses re-added (the kernel drops them on the move) and up. A device already
 * moved stays in the container's namespace on a later failure; the kernel gives it back
 * (physical devices) or destroys it (virtual ones) when that namespace goes away. */
int netdev_move_all(int nsfd, const struct netdev_move *devs, size_t n, struct berth_error **err);

#endif
