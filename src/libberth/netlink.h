/*
 * Network devices: bring loopback up in a new network namespace, move linux.netDevices into
 * the container's namespace (through the berth-netdev helper), rename and bring them up.
 */
#ifndef BERTH_NETLINK_H
#define BERTH_NETLINK_H

#include <sys/types.h>

#include "container.h"

/* Validate linux.netDevices before any system change: names are valid interface names,
 * no two devices end up with one name, and the container gets a new network namespace. */
int netlink_check_devices(const struct oci_config *cfg, struct berth_error **err);
/* In the child, inside its new network namespace: a socket and two ioctls. */
int netlink_loopback_up(struct berth_error **err);
/* In the parent, after the clone: move the configured devices into `pid`'s namespace,
 * renamed when `name` is set, with their permanent global addresses re-added (the kernel
 * drops them on the move) and up. A device that is already moved stays in the container's
 * namespace on a later failure; the kernel gives it back (physical devices) or destroys it
 * (virtual ones) when that namespace goes away. */
int netlink_move_devices(const struct oci_config *cfg, pid_t pid, struct berth_error **err);

#endif
