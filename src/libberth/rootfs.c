/*
 * The container's root filesystem, in the order the runtime-spec and runc imply:
 * rootfs_prepare(): propagation of "/" in the new mount namespace, the rootfs bound onto
 * itself, the config mounts (mount.c), /dev (devices.c), pivot_root (or MS_MOVE + chroot with
 * --no-pivot), rootfsPropagation re-applied to the new "/", cwd "/".
 * rootfs_finalize(): maskedPaths, readonlyPaths, root.readonly, once the console is bound.
 * Idmapped bind mounts need privileges the init lost when it entered its user namespace: the
 * parent opens them before the clone (rootfs_before_clone) and the init inherits the fds.
 * This file must never mount anything before the init is in its own mount namespace, nor
 * resolve a config path other than through paths.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

#include "mount.h"
#include "namespaces.h"
#include "paths.h"
#include "rootfs.h"
#include "util.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

/* Idmapped trees opened by the parent, indexed like config mounts; inherited by the init. */
static int *premounted;
static size_t premounted_len;

static int root_propagation(const struct oci_config *cfg, unsigned long *flags,
			    struct berth_error **err)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} table[] = {
		{ "shared", MS_SHARED },	     { "slave", MS_SLAVE },
		{ "private", MS_PRIVATE },	     { "unbindable", MS_UNBINDABLE },
		{ "rshared", MS_SHARED | MS_REC },   { "rslave", MS_SLAVE | MS_REC },
		{ "rprivate", MS_PRIVATE | MS_REC }, { "runbindable", MS_UNBINDABLE | MS_REC },
	};
	const char *p = cfg->linux_ ? cfg->linux_->rootfs_propagation : NULL;

	*flags = 0;
	if (p == NULL || p[0] == '\0')
		return 0;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, p) == 0) {
			*flags = table[i].flags;
			return 0;
		}
	return berth_fail(err, "config.json: linux.rootfsPropagation: unknown value '%s'", p);
}

static bool selinux_enabled(void)
{
	struct statfs sfs;
	return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

static int check_paths(char **paths, size_t n, const char *field, struct berth_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (paths[i] == NULL || paths[i][0] != '/')
			return berth_fail(err, "config.json: linux.%s[%zu]: must be an absolute path",
					  field, i);
	return 0;
}

int rootfs_validate(const struct oci_config *cfg, struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;
	unsigned long flags;
	bool by_path;

	if (!namespaces_has(cfg, "mount", &by_path))
		return berth_fail(err, "config.json: linux.namespaces: a mount namespace is "
				  "required");
	if (by_path)
		return berth_fail(err, "config.json: linux.namespaces: joining a mount namespace by "
				  "path is not supported (the rootfs could not be set up)");
	if (root_propagation(cfg, &flags, err) < 0 || mount_validate_all(cfg, err) < 0 ||
	    devices_validate(cfg, err) < 0)
		return -1;
	if (lx && lx->mount_label && lx->mount_label[0] && !selinux_enabled())
		return berth_fail(err, "config.json: linux.mountLabel: selinux is not enabled on "
				  "this host");
	if (lx && (check_paths(lx->masked_paths, lx->masked_paths_len, "maskedPaths", err) < 0 ||
		   check_paths(lx->readonly_paths, lx->readonly_paths_len, "readonlyPaths", err) <
			   0))
		return -1;
	return 0;
}

static void close_idmapped(void)
{
	for (size_t i = 0; i < premounted_len; i++)
		if (premounted[i] >= 0)
			close(premounted[i]);
	free(premounted);
	premounted = NULL;
	premounted_len = 0;
}

static int open_idmapped(struct berth_container *c, struct berth_error **err)
{
	const struct oci_config *cfg = c->config;

	close_idmapped();
	for (size_t i = 0; i < cfg->mounts_len; i++) {
		if (!mount_needs_parent(&cfg->mounts[i]))
			continue;
		if (premounted == NULL) {
			premounted = malloc(cfg->mounts_len * sizeof(*premounted));
			if (premounted == NULL)
				return berth_fail_errno(err, ENOMEM, "idmapped mounts");
			premounted_len = cfg->mounts_len;
			for (size_t j = 0; j < premounted_len; j++)
				premounted[j] = -1;
		}
		if (mount_open_idmapped(c, i, &premounted[i], err) < 0) {
			close_idmapped();
			return -1;
		}
	}
	return 0;
}

int rootfs_before_clone(struct berth_container *c, struct berth_error **err)
{
	if (mount_cgroup_prepare(c, err) < 0)
		return berth_wrap(err, "cgroup mount");
	return open_idmapped(c, err);
}

void rootfs_after_clone(void)
{
	close_idmapped();
	mount_cgroup_release();
}

/* /dev is set up by us unless the config binds a /dev from elsewhere. */
static bool needs_setup_dev(const struct oci_config *cfg)
{
	for (size_t i = 0; i < cfg->mounts_len; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		_cleanup_free_ char *dest = path_clean(m->destination ?: "");
		bool bind = m->type && strcmp(m->type, "bind") == 0;
		for (size_t j = 0; j < m->options_len; j++)
			bind = bind || strcmp(m->options[j], "bind") == 0 ||
			       strcmp(m->options[j], "rbind") == 0;
		if (dest && strcmp(dest, "/dev") == 0 && bind)
			return false;
	}
	return true;
}

/* Whether the propagation given to "/" (0: the default rslave) leaves no mount of the tree
 * shared: then nothing made in it propagates anywhere, and pivot_root finds no shared parent
 * (runc makes the rootfs's parent private only when it is shared, for the same reasons). */
static bool unshared_tree(unsigned long prop)
{
	return prop == 0 || ((prop & MS_REC) && !(prop & MS_SHARED));
}

/* pivot_root refuses a shared parent, and the rootfs bind must not propagate anywhere: make
 * the mount holding the rootfs private. mount_setattr() wants the root of that mount, found by
 * walking up from the rootfs. */
static int make_parent_mount_private(const char *rootfs, struct berth_error **err)
{
	struct mount_attr priv = { .propagation = MS_PRIVATE };
	_cleanup_close_ int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statx stx;

	if (fd < 0)
		return berth_fail_errno(err, errno, "open the rootfs '%s'", rootfs);
	for (int depth = 0; depth < 4096; depth++) {
		if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
			return berth_fail_errno(err, errno, "stat the rootfs '%s'", rootfs);
		if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
			break;
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0)
			return berth_fail_errno(err, errno, "open the parent of '%s'", rootfs);
		close(fd);
		fd = up;
	}
	if (mount_setattr(fd, "", AT_EMPTY_PATH, &priv, sizeof(priv)) < 0)
		return berth_fail_errno(err, errno, "make the mount holding '%s' private", rootfs);
	return 0;
}

static int pivot(const char *rootfs, int rootfd, bool unshared, struct berth_error **err)
{
	_cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (oldroot < 0)
		return berth_fail_errno(err, errno, "open /");
	if (fchdir(rootfd) < 0)
		return berth_fail_errno(err, errno, "chdir '%s'", rootfs);
	/* pivot_root(".", ".") stacks the old root on top of the new one; it is then
	 * unmounted from under us without needing a directory for it in the image. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_fail_errno(err, errno, "pivot_root '%s'", rootfs);
	if (fchdir(oldroot) < 0)
		return berth_fail_errno(err, errno, "chdir to the old root");
	/* Slave first, so the unmount below cannot propagate to the host (already so when the
	 * whole tree was made rslave or rprivate). */
	if (!unshared && mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_fail_errno(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_fail_errno(err, errno, "unmount the old root");
	return 0;
}

static int move_root(const char *rootfs, int rootfd, struct berth_error **err)
{
	if (fchdir(rootfd) < 0)
		return berth_fail_errno(err, errno, "chdir '%s'", rootfs);
	if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
		return berth_fail_errno(err, errno, "move '%s' to /", rootfs);
	if (chroot(".") < 0)
		return berth_fail_errno(err, errno, "chroot '%s'", rootfs);
	return 0;
}

int rootfs_prepare(struct berth_container *c, struct berth_error **err)
{
	const struct oci_config *cfg = c->config;
	struct rootfs_ctx ctx = { .c = c, .rootfd = -1 };
	unsigned long prop;
	int ret = -1;

	/* The parent ran rootfs_validate on this very config before the clone: checking it
	 * again here would only cost page faults in the init. */
	if (root_propagation(cfg, &prop, err) < 0)
		return -1;
	ctx.userns = namespaces_has(cfg, "user", NULL);
	ctx.cgroupns = namespaces_has(cfg, "cgroup", NULL);

	/* Nothing we mount from here on may reach the host: rslave by default, like runc, so
	 * host mounts still propagate in but never out. */
	if (mount(NULL, "/", NULL, prop ? prop : MS_SLAVE | MS_REC, NULL) < 0)
		return berth_fail_errno(err, errno, "set the propagation of /");
	if (!unshared_tree(prop) && make_parent_mount_private(c->rootfs, err) < 0)
		return -1;
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_fail_errno(err, errno, "bind the rootfs '%s'", c->rootfs);
	ctx.rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx.rootfd < 0)
		return berth_fail_errno(err, errno, "open the rootfs '%s'", c->rootfs);

	for (size_t i = 0; i < cfg->mounts_len; i++) {
		int pre = -1;
		if (i < premounted_len)
			pre = steal_fd(&premounted[i]);
		if (mount_config_entry(&ctx, i, pre, err) < 0)
			goto out;
	}
	if (devices_create(&ctx, needs_setup_dev(cfg), err) < 0)
		goto out;

	if (c->opts && c->opts->no_pivot ? move_root(c->rootfs, ctx.rootfd, err)
					 : pivot(c->rootfs, ctx.rootfd, unshared_tree(prop), err))
		goto out;
	if (prop && mount(NULL, "/", NULL, prop, NULL) < 0) {
		berth_fail_errno(err, errno, "linux.rootfsPropagation: apply to the new /");
		goto out;
	}
	if (chdir("/") < 0) {
		berth_fail_errno(err, errno, "chdir /");
		goto out;
	}
	ret = 0;
out:
	close(ctx.rootfd);
	close_idmapped();
	return ret;
}

/* The container's own /dev/null, checked through the fd we bind from: an image (or another
 * container sharing /dev) that swapped it for a symlink or a file would otherwise have the
 * "masked" path bound to something writable (CVE-2025-31133). */
static int open_dev_null(int rootfd, int *out, struct berth_error **err)
{
	struct stat st;
	int fd = path_openat_in_root(rootfd, "/dev/null", O_PATH);

	if (fd < 0)
		return berth_fail_errno(err, errno, "maskedPaths: open /dev/null");
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
		close(fd);
		return berth_fail(err, "maskedPaths: /dev/null is not the null device (1:3)");
	}
	*out = fd;
	return 0;
}

static int mask_path(int rootfd, int *nullfd, const char *path, struct berth_error **err)
{
	_cleanup_close_ int fd = path_openat_in_root(rootfd, path, O_PATH);
	_cleanup_close_ int mntfd = -1;
	struct stat st;

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_fail_errno(err, errno, "open '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		struct mount_opts o = { .attr = { .attr_set = MOUNT_ATTR_RDONLY } };
		if (mount_new_fs("tmpfs", "tmpfs", NULL, 0, &mntfd, err) < 0 ||
		    mount_apply_attrs(mntfd, &o, err) < 0)
			return berth_wrap(err, "mask '%s'", path);
	} else {
		if (*nullfd < 0 && open_dev_null(rootfd, nullfd, err) < 0)
			return -1;
		mntfd = open_tree(*nullfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (mntfd < 0)
			return berth_fail_errno(err, errno, "mask '%s': clone /dev/null", path);
	}
	if (mount_attach(mntfd, fd, err) < 0)
		return berth_wrap(err, "mask '%s'", path);
	return 0;
}

static int readonly_path(int rootfd, const char *path, struct berth_error **err)
{
	_cleanup_close_ int fd = path_openat_in_root(rootfd, path, O_PATH);
	_cleanup_close_ int mntfd = -1;
	struct mount_opts o = { .rattr = { .attr_set = MOUNT_ATTR_RDONLY } };

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0)
		return berth_fail_errno(err, errno, "open '%s'", path);
	mntfd = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					  AT_RECURSIVE);
	if (mntfd < 0)
		return berth_fail_errno(err, errno, "read-only '%s': bind", path);
	if (mount_apply_attrs(mntfd, &o, err) < 0 || mount_attach(mntfd, fd, err) < 0)
		return berth_wrap(err, "read-only '%s'", path);
	return 0;
}

int rootfs_finalize(struct berth_container *c, struct berth_error **err)
{
	const struct oci_linux *lx = c->config->linux_;
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int nullfd = -1;

	if (rootfd < 0)
		return berth_fail_errno(err, errno, "open /");
	for (size_t i = 0; lx && i < lx->masked_paths_len; i++)
		if (mask_path(rootfd, &nullfd, lx->masked_paths[i], err) < 0)
			return berth_wrap(err, "linux.maskedPaths[%zu]", i);
	for (size_t i = 0; lx && i < lx->readonly_paths_len; i++)
		if (readonly_path(rootfd, lx->readonly_paths[i], err) < 0)
			return berth_wrap(err, "linux.readonlyPaths[%zu]", i);
	if (c->config->root && c->config->root->readonly) {
		struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(rootfd, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0)
			return berth_fail_errno(err, errno, "root.readonly: remount / read-only");
	}
	return 0;
}
