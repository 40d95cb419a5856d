/*
 * The container's filesystem view, built by the init inside its new mount namespace.
 * rootfs_prepare(): propagation, the rootfs bind, config mounts, /dev (default devices,
 * linux.devices, symlinks, devpts), then pivot_root (or MS_MOVE + chroot with --no-pivot);
 * returns with "/" being the container's root and the cwd at "/".
 * rootfs_finalize(): after the console is set up: maskedPaths, readonlyPaths, root.readonly.
 * Every path from config.json is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT) and
 * mounted through fds, so nothing planted in the rootfs can redirect a mount to the host.
 */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include "container.h"

/* Check mounts, linux.devices, rootfsPropagation, mountLabel, maskedPaths and readonlyPaths
 * without touching the system: the parent calls it before the clone, and rootfs_prepare
 * relies on it having passed. Errors name the JSON path. */
int rootfs_validate(const struct oci_config *cfg, struct berth_error **err);
/* In the parent, before the clone (after cgroup_create): open the idmapped bind mounts
 * (mounts with uidMappings / gidMappings or the idmap/ridmap options), which need the host's
 * privileges, and read what the cgroup mount needs to know about the host. The init inherits
 * both, without the page faults that reading them after the fork would cost; the parent
 * calls rootfs_after_clone() once the child is cloned. */
int rootfs_before_clone(struct berth_container *c, struct berth_error **err);
void rootfs_after_clone(void);

int rootfs_prepare(struct berth_container *c, struct berth_error **err);
int rootfs_finalize(struct berth_container *c, struct berth_error **err);

#endif
