/*
 * linux.namespaces: which to create (clone flags), which to join (path), the user-namespace
 * id maps (written by the parent while the child waits), time offsets, and the settings that
 * live in a namespace: hostname, domainname, sysctl.
 *
 * The cgroup and time namespaces are never among the clone flags: the child creates them in
 * namespaces_join(), after the parent's go (so the cgroup namespace is rooted at the
 * container's cgroup, and the time offsets are written before anyone lives in it).
 */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include <stdbool.h>

#include "container.h"

/* Validate linux.namespaces, the id maps, timeOffsets, hostname, domainname and
 * linux.sysctl (every key must belong to a namespace the container has), and compute the
 * CLONE_NEW* flags clone3 must create. Call before any system change. */
int namespaces_clone_flags(const struct oci_config *cfg, unsigned long *flags,
			   struct berth_error **err);
/* Of the `clone_flags` namespaces_clone_flags gave, those the init is better off creating
 * itself, with unshare() as its very first step: a new network namespace costs about half a
 * millisecond, which then overlaps with the parent's work after the clone (cgroups, id maps)
 * instead of delaying it. None when linux.netDevices must be moved into it by the parent. */
unsigned long namespaces_unshare_first(const struct oci_config *cfg, unsigned long clone_flags);
/* In the parent, before the clone: join the pid namespace given by path (affects children). */
int namespaces_join_before_clone(const struct oci_config *cfg, struct berth_error **err);
/* In the child, first thing after the parent's go: join every other namespace given by path
 * (user first, then unshare the new ones inside it; mount last), then create the cgroup
 * namespace and the time namespace with linux.timeOffsets. */
int namespaces_join(const struct oci_config *cfg, struct berth_error **err);
/* In the parent: write uid_map and gid_map of `pid` when it has a new user namespace. */
int namespaces_write_id_maps(const struct oci_config *cfg, pid_t pid, struct berth_error **err);
/* In the child, inside its namespaces and before pivot_root: hostname, domainname, sysctl. */
int namespaces_apply_settings(const struct oci_config *cfg, struct berth_error **err);
/* Whether linux.namespaces lists `type` ("user", "network", ...); *by_path tells whether it
 * is joined rather than created. */
bool namespaces_has(const struct oci_config *cfg, const char *type, bool *by_path);

#endif
