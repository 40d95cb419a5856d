/*
 * The pieces rootfs.c is assembled from (private to the rootfs module): the parsed options
 * of one config mount, mounting one config mount, the cgroup mount, the devices.
 * Everything here runs in the container's init, in its mount namespace, before pivot_root,
 * with `rootfd` an O_PATH fd on the (bind-mounted) rootfs.
 */
#ifndef BERTH_MOUNT_H
#define BERTH_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/mount.h>

#include "container.h"

struct rootfs_ctx {
	struct berth_container *c;
	int rootfd;
	bool userns;   /* the container has a user namespace (new or joined) */
	bool cgroupns; /* the container has its own cgroup namespace */
};

/* A fsconfig() parameter: value NULL means FSCONFIG_SET_FLAG. */
struct fs_param {
	char *key;
	char *value;
};

struct mount_opts {
	bool bind, rbind;
	struct mount_attr attr;  /* applied to the mount itself */
	struct mount_attr rattr; /* applied with AT_RECURSIVE (the r* options) */
	uint64_t propagation;
	bool propagation_rec;
	bool idmap, ridmap, tmpcopyup;
	const char *sb_option; /* the first per-superblock option seen (sync, dirsync, ...) */
	struct fs_param *params;
	size_t params_len;
};

/* Parse mounts[idx].options (and type "bind"); errors name the JSON path. */
int mount_opts_parse(const struct oci_mount *m, size_t idx, struct mount_opts *o,
		     struct berth_error **err);
void mount_opts_free(struct mount_opts *o);
/* Apply o->rattr (recursively) then o->attr to the mount behind `mntfd`. */
int mount_apply_attrs(int mntfd, const struct mount_opts *o, struct berth_error **err);
/* Apply o->propagation to the (attached) mount behind `mntfd`. */
int mount_apply_propagation(int mntfd, const struct mount_opts *o, struct berth_error **err);
/* move_mount() a detached mount onto the object behind the O_PATH fd `destfd`. */
int mount_attach(int mntfd, int destfd, struct berth_error **err);
/* A new filesystem as a detached mount: fsopen, fsconfig(source, params), fsmount. */
int mount_new_fs(const char *type, const char *source, const struct fs_param *params,
		 size_t n, int *mntfd, struct berth_error **err);
/* Validate every config mount (options, types, destinations) without touching anything. */
int mount_validate_all(const struct oci_config *cfg, struct berth_error **err);
/* Mount config.json mounts[idx] inside the rootfs. `premounted` is a detached mount made by
 * the parent (idmapped bind mounts) or -1. */
int mount_config_entry(struct rootfs_ctx *ctx, size_t idx, int premounted,
		       struct berth_error **err);
/* Whether mounts[idx] needs its tree prepared by the parent (an idmapped mount). */
bool mount_needs_parent(const struct oci_mount *m);
/* In the parent: open mounts[idx] as a detached, idmapped, attribute-applied tree. */
int mount_open_idmapped(const struct berth_container *c, size_t idx, int *mntfd,
			struct berth_error **err);
/* In the parent, before the clone, when the config has a cgroup mount: read the host's cgroup
 * mounts and the cgroups the init will be in (c->cgroup must exist). A second call for the
 * same `c` (in the init) reuses it. */
int mount_cgroup_prepare(const struct berth_container *c, struct berth_error **err);
/* In the parent after the clone: what prepare read is not for another container. */
void mount_cgroup_release(void);
/* type "cgroup"/"cgroup2" on `destfd` (mount-cgroup.c). */
int mount_cgroup(struct rootfs_ctx *ctx, const struct oci_mount *m, const struct mount_opts *o,
		 int destfd, struct berth_error **err);
/* Default devices, linux.devices, /dev symlinks (devices.c). `setup_dev` is false when /dev
 * is bind-mounted from the host: then only linux.devices are created. */
int devices_create(struct rootfs_ctx *ctx, bool setup_dev, struct berth_error **err);
/* Validate linux.devices without touching anything. */
int devices_validate(const struct oci_config *cfg, struct berth_error **err);

#endif
