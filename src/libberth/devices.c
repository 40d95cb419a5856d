/*
 * /dev inside the container: the default devices (null, zero, full, random, urandom, tty),
 * linux.devices, and the symlinks runc creates (/dev/fd, stdin, stdout, stderr, ptmx,
 * core). Nodes are made with mknodat below a fd on the container's /dev, resolved inside the
 * rootfs, so a /dev symlink planted in the image cannot send device creation to the host.
 * In a user namespace mknod is not allowed: the host's node is bind-mounted onto an empty
 * file instead, as runc does.
 * This file must never create a node through a path string.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mount.h"
#include "paths.h"
#include "util.h"

struct dev {
	const char *path;
	mode_t type; /* S_IFCHR, S_IFBLK, S_IFIFO */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static const struct dev default_devices[] = {
	{ "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
	{ "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
	{ "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

static int device_from_config(const struct oci_device *d, size_t idx, struct dev *out,
			      struct berth_error **err)
{
	if (d->type == NULL || strlen(d->type) != 1 || strchr("cubp", d->type[0]) == NULL)
		return berth_fail(err, "config.json: linux.devices[%zu].type: expected c, b, u or p",
				  idx);
	if (d->path == NULL || strncmp(d->path, "/dev/", 5) != 0)
		return berth_fail(err, "config.json: linux.devices[%zu].path: must be below /dev",
				  idx);
	if (d->type[0] != 'p' && (d->major < 0 || d->minor < 0 || d->major > 0xfff ||
				  d->minor > 0xfffff))
		return berth_fail(err, "config.json: linux.devices[%zu]: invalid major/minor", idx);
	*out = (struct dev){
		.path = d->path,
		.type = d->type[0] == 'b' ? S_IFBLK : d->type[0] == 'p' ? S_IFIFO : S_IFCHR,
		.major = (unsigned)d->major,
		.minor = (unsigned)d->minor,
		.mode = d->has_file_mode ? (d->file_mode & 07777) : 0666,
		.uid = d->has_uid ? d->uid : 0,
		.gid = d->has_gid ? d->gid : 0,
	};
	return 0;
}

int devices_validate(const struct oci_config *cfg, struct berth_error **err)
{
	struct dev d;

	if (cfg->linux_ == NULL)
		return 0;
	for (size_t i = 0; i < cfg->linux_->devices_len; i++) {
		_cleanup_free_ char *clean = path_clean(cfg->linux_->devices[i].path ?: "");
		if (device_from_config(&cfg->linux_->devices[i], i, &d, err) < 0)
			return -1;
		if (clean == NULL || strncmp(clean, "/dev/", 5) != 0)
			return berth_fail(err, "config.json: linux.devices[%zu].path: must be below "
					  "/dev", i);
	}
	return 0;
}

/* Whatever the image left where a node goes (a symlink, a file) is removed, never followed. */
static int remove_entry(int dirfd, const char *name, const char *clean, struct berth_error **err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0
				       : berth_fail_errno(err, errno, "device '%s': stat", clean);
	if (S_ISDIR(st.st_mode))
		return berth_fail(err, "device '%s': a directory is in the way", clean);
	if (unlinkat(dirfd, name, 0) < 0)
		return berth_fail_errno(err, errno, "device '%s': remove the old entry", clean);
	return 0;
}

/* No mknod in a user namespace: bind the host's node onto an empty file. */
static int bind_node(int dirfd, const char *name, const char *clean, const struct dev *d,
		     struct berth_error **err)
{
	_cleanup_close_ int target = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
								 O_CLOEXEC, 0600);
	if (target < 0 && errno == EEXIST) {
		if (remove_entry(dirfd, name, clean, err) < 0)
			return -1;
		target = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				0600);
	}
	if (target < 0)
		return berth_fail_errno(err, errno, "device '%s': create", clean);
	_cleanup_close_ int pathfd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int src = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (pathfd < 0 || src < 0)
		return berth_fail_errno(err, errno, "device '%s': bind from the host", clean);
	int r = mount_attach(src, pathfd, err);
	close(src);
	if (r < 0)
		return berth_wrap(err, "device '%s': bind from the host", clean);
	return 0;
}

/* The node `name` below `dirfd` (the directory of `clean`, its cleaned path). Creation is
 * tried first: an entry already there (EEXIST) is replaced, which costs a lookup only when
 * the image has one. */
static int make_node_at(struct rootfs_ctx *ctx, int dirfd, const char *name, const char *clean,
			const struct dev *d, struct berth_error **err)
{
	dev_t rdev = makedev(d->major, d->minor);

	if (ctx->userns && d->type != S_IFIFO)
		return bind_node(dirfd, name, clean, d, err);
	if (mknodat(dirfd, name, d->type | d->mode, rdev) < 0) {
		if (errno != EEXIST)
			return berth_fail_errno(err, errno, "device '%s': mknod", clean);
		if (remove_entry(dirfd, name, clean, err) < 0)
			return -1;
		if (mknodat(dirfd, name, d->type | d->mode, rdev) < 0)
			return berth_fail_errno(err, errno, "device '%s': mknod", clean);
	}
	/* The umask must not decide the mode the config asked for. */
	if (fchmodat(dirfd, name, d->mode, 0) < 0)
		return berth_fail_errno(err, errno, "device '%s': chmod", clean);
	if (fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_fail_errno(err, errno, "device '%s': chown %u:%u", clean,
					(unsigned)d->uid, (unsigned)d->gid);
	return 0;
}

/* A node anywhere below /dev: its directory is resolved (and made) inside the rootfs. */
static int make_node(struct rootfs_ctx *ctx, const struct dev *d, struct berth_error **err)
{
	_cleanup_free_ char *clean = path_clean(d->path);
	_cleanup_close_ int dirfd = -1;
	const char *name;

	if (clean == NULL)
		return berth_fail_errno(err, ENOMEM, "device '%s'", d->path);
	if (path_open_parent(ctx->rootfd, clean, &dirfd, &name, err) < 0)
		return berth_wrap(err, "device '%s'", clean);
	return make_node_at(ctx, dirfd, name, clean, d, err);
}

static bool configured(const struct oci_config *cfg, const char *path)
{
	for (size_t i = 0; cfg->linux_ && i < cfg->linux_->devices_len; i++) {
		_cleanup_free_ char *clean = path_clean(cfg->linux_->devices[i].path ?: "");
		if (clean && strcmp(clean, path) == 0)
			return true;
	}
	return false;
}

static int make_links(int devfd, struct berth_error **err)
{
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },        { "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },  { "stderr", "/proc/self/fd/2" },
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], devfd, links[i][0]) < 0 && errno != EEXIST)
			return berth_fail_errno(err, errno, "symlink '/dev/%s'", links[i][0]);
	/* /proc/kcore exists only on some kernels; the link is made when the host has it. */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
	    errno != EEXIST)
		return berth_fail_errno(err, errno, "symlink '/dev/core'");
	/* ptmx must be the one of the container's devpts instance. */
	if (fstatat(devfd, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(devfd, "ptmx", 0) < 0)
		return berth_fail_errno(err, errno, "remove '/dev/ptmx'");
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		return berth_fail_errno(err, errno, "symlink '/dev/ptmx'");
	return 0;
}

int devices_create(struct rootfs_ctx *ctx, bool setup_dev, struct berth_error **err)
{
	const struct oci_config *cfg = ctx->c->config;
	_cleanup_close_ int devfd = -1;
	struct dev d;

	if (setup_dev) {
		/* One lookup of /dev for the default nodes and the links. */
		if (path_mkdirs(ctx->rootfd, "/dev", 0755, &devfd, err) < 0)
			return -1;
		for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
			if (!configured(cfg, default_devices[i].path) &&
			    make_node_at(ctx, devfd, default_devices[i].path + 5,
					 default_devices[i].path, &default_devices[i], err) < 0)
				return -1;
	}
	for (size_t i = 0; cfg->linux_ && i < cfg->linux_->devices_len; i++) {
		if (device_from_config(&cfg->linux_->devices[i], i, &d, err) < 0 ||
		    make_node(ctx, &d, err) < 0)
			return -1;
	}
	if (setup_dev && make_links(devfd, err) < 0)
		return -1;
	return 0;
}
