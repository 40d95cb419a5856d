/*
 * linux.namespaces: which to create (clone flags), which to join (path), the user-namespace
 * id maps (written by the parent while the child waits), time offsets, and the settings that
 * live in a namespace: hostname, domainname, sysctl.
 */
#ifndef BERTH_NAMESPACES_H
#define BERTH_NAMESPACES_H

#include "container.h"

/* Validate linux.namespaces and compute the CLONE_NEW* flags for the namespaces to create. */
int namespaces_clone_flags(const struct oci_config *cfg, unsigned long *flags,
			   struct berth_error **err);
/* In the parent, before the clone: join the pid namespace given by path (affects children). */
int namespaces_join_before_clone(const struct oci_config *cfg, struct berth_error **err);
/* In the child, first thing: join every other namespace given by path. */
int namespaces_join(const struct oci_config *cfg, struct berth_error **err);
/* In the parent: write uid_map, setgroups and gid_map of `pid` (user namespace), and
 * time offsets (before the child execs anything). */
int namespaces_write_id_maps(const struct oci_config *cfg, pid_t pid, struct berth_error **err);
/* In the child, inside its namespaces: hostname, domainname, sysctl. */
int namespaces_apply_settings(const struct oci_config *cfg, struct berth_error **err);

#endif
