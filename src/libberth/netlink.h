/*
 * Network devices over rtnetlink (libmnl): bring loopback up in a new network namespace,
 * move linux.netDevices into the container's namespace, rename and bring them up.
 */
#ifndef BERTH_NETLINK_H
#define BERTH_NETLINK_H

#include <sys/types.h>

#include "container.h"

/* In the child, inside its new network namespace. */
int netlink_loopback_up(struct berth_error **err);
/* In the parent, after the clone: move the configured devices into `pid`'s namespace. */
int netlink_move_devices(const struct oci_config *cfg, pid_t pid, struct berth_error **err);

#endif
