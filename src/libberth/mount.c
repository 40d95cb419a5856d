/*
 * One config.json mount, from its options to a mount inside the rootfs.
 *
 * Options are sorted by what the kernel does with them: per-mount attributes (ro, nosuid,
 * atime...) and their recursive r* forms go to mount_setattr(), propagation to
 * mount_setattr() once the mount is attached, per-superblock flags (sync, dirsync, ...) and
 * data options (mode=755, size=...) to fsconfig(). Every mount is built detached (fsmount or
 * open_tree) and attached with move_mount() onto an O_PATH fd resolved inside the rootfs
 * (paths.c): the destination is never looked up again by name after it was checked.
 * This file must never mount by a path string inside the rootfs, and never ignore an option.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/magic.h>

#include "mount.h"
#include "paths.h"
#include "util.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

enum opt_kind {
	OPT_ATTR,   /* per-mount attribute */
	OPT_RATTR,  /* per-mount attribute, recursive */
	OPT_PROP,   /* propagation */
	OPT_RPROP,  /* propagation, recursive */
	OPT_SB,     /* per-superblock flag, passed to fsconfig */
	OPT_BIND,
	OPT_RBIND,
	OPT_IDMAP,
	OPT_RIDMAP,
	OPT_TMPCOPYUP,
	OPT_NOOP,   /* accepted, no effect on the result (see the table) */
	OPT_REFUSE, /* meaningless for a container mount */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	uint64_t set, clr;
};

#define ATIME(v) (v), MOUNT_ATTR__ATIME
static const struct opt option_table[] = {
	{ "ro", OPT_ATTR, MOUNT_ATTR_RDONLY, 0 },
	{ "rw", OPT_ATTR, 0, MOUNT_ATTR_RDONLY },
	{ "nosuid", OPT_ATTR, MOUNT_ATTR_NOSUID, 0 },
	{ "suid", OPT_ATTR, 0, MOUNT_ATTR_NOSUID },
	{ "nodev", OPT_ATTR, MOUNT_ATTR_NODEV, 0 },
	{ "dev", OPT_ATTR, 0, MOUNT_ATTR_NODEV },
	{ "noexec", OPT_ATTR, MOUNT_ATTR_NOEXEC, 0 },
	{ "exec", OPT_ATTR, 0, MOUNT_ATTR_NOEXEC },
	{ "nosymfollow", OPT_ATTR, MOUNT_ATTR_NOSYMFOLLOW, 0 },
	{ "symfollow", OPT_ATTR, 0, MOUNT_ATTR_NOSYMFOLLOW },
	{ "nodiratime", OPT_ATTR, MOUNT_ATTR_NODIRATIME, 0 },
	{ "diratime", OPT_ATTR, 0, MOUNT_ATTR_NODIRATIME },
	{ "noatime", OPT_ATTR, ATIME(MOUNT_ATTR_NOATIME) },
	{ "relatime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "strictatime", OPT_ATTR, ATIME(MOUNT_ATTR_STRICTATIME) },
	/* mount(2) treats these as "not noatime/relatime/strictatime", which is relatime. */
	{ "atime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "norelatime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "nostrictatime", OPT_ATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "rro", OPT_RATTR, MOUNT_ATTR_RDONLY, 0 },
	{ "rrw", OPT_RATTR, 0, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_RATTR, MOUNT_ATTR_NOSUID, 0 },
	{ "rsuid", OPT_RATTR, 0, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_RATTR, MOUNT_ATTR_NODEV, 0 },
	{ "rdev", OPT_RATTR, 0, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_RATTR, MOUNT_ATTR_NOEXEC, 0 },
	{ "rexec", OPT_RATTR, 0, MOUNT_ATTR_NOEXEC },
	{ "rnosymfollow", OPT_RATTR, MOUNT_ATTR_NOSYMFOLLOW, 0 },
	{ "rsymfollow", OPT_RATTR, 0, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rnodiratime", OPT_RATTR, MOUNT_ATTR_NODIRATIME, 0 },
	{ "rdiratime", OPT_RATTR, 0, MOUNT_ATTR_NODIRATIME },
	{ "rnoatime", OPT_RATTR, ATIME(MOUNT_ATTR_NOATIME) },
	{ "rrelatime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "rstrictatime", OPT_RATTR, ATIME(MOUNT_ATTR_STRICTATIME) },
	{ "ratime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "rnorelatime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "rnostrictatime", OPT_RATTR, ATIME(MOUNT_ATTR_RELATIME) },
	{ "shared", OPT_PROP, MS_SHARED, 0 },
	{ "slave", OPT_PROP, MS_SLAVE, 0 },
	{ "private", OPT_PROP, MS_PRIVATE, 0 },
	{ "unbindable", OPT_PROP, MS_UNBINDABLE, 0 },
	{ "rshared", OPT_RPROP, MS_SHARED, 0 },
	{ "rslave", OPT_RPROP, MS_SLAVE, 0 },
	{ "rprivate", OPT_RPROP, MS_PRIVATE, 0 },
	{ "runbindable", OPT_RPROP, MS_UNBINDABLE, 0 },
	{ "sync", OPT_SB, 0, 0 },
	{ "async", OPT_SB, 0, 0 },
	{ "dirsync", OPT_SB, 0, 0 },
	{ "mand", OPT_SB, 0, 0 },
	{ "nomand", OPT_SB, 0, 0 },
	{ "lazytime", OPT_SB, 0, 0 },
	{ "nolazytime", OPT_SB, 0, 0 },
	{ "iversion", OPT_SB, 0, 0 },
	{ "noiversion", OPT_SB, 0, 0 },
	{ "bind", OPT_BIND, 0, 0 },
	{ "rbind", OPT_RBIND, 0, 0 },
	{ "idmap", OPT_IDMAP, 0, 0 },
	{ "ridmap", OPT_RIDMAP, 0, 0 },
	{ "tmpcopyup", OPT_TMPCOPYUP, 0, 0 },
	/* "defaults" is rw,suid,dev,exec,async: the defaults of a new mount. silent/loud only
	 * change what the kernel logs while mounting. */
	{ "defaults", OPT_NOOP, 0, 0 },
	{ "silent", OPT_NOOP, 0, 0 },
	{ "loud", OPT_NOOP, 0, 0 },
	{ "remount", OPT_REFUSE, 0, 0 },
	{ "move", OPT_REFUSE, 0, 0 },
};

static const struct opt *find_option(const char *name)
{
	for (size_t i = 0; i < sizeof(option_table) / sizeof(option_table[0]); i++)
		if (strcmp(option_table[i].name, name) == 0)
			return &option_table[i];
	return NULL;
}

static void attr_add(struct mount_attr *a, uint64_t set, uint64_t clr)
{
	/* Last option wins: drop the opposite of what this option asks for. */
	a->attr_set = (a->attr_set & ~clr) | set;
	a->attr_clr = (a->attr_clr & ~set) | clr;
}

static int add_param(struct mount_opts *o, const char *opt, size_t len, struct berth_error **err)
{
	struct fs_param *p = realloc(o->params, (o->params_len + 1) * sizeof(*p));
	char *key = strndup(opt, len), *eq;

	if (p == NULL || key == NULL) {
		free(key);
		if (p)
			o->params = p;
		return berth_fail_errno(err, ENOMEM, "mount options");
	}
	o->params = p;
	eq = strchr(key, '=');
	p[o->params_len].key = key;
	p[o->params_len].value = NULL;
	if (eq) {
		*eq = '\0';
		p[o->params_len].value = eq + 1;
	}
	o->params_len++;
	return 0;
}

void mount_opts_free(struct mount_opts *o)
{
	for (size_t i = 0; i < o->params_len; i++)
		free(o->params[i].key); /* value points into key */
	free(o->params);
	o->params = NULL;
	o->params_len = 0;
}

int mount_opts_parse(const struct oci_mount *m, size_t idx, struct mount_opts *o,
		     struct berth_error **err)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < m->options_len; i++) {
		const char *s = m->options[i];
		const struct opt *opt = find_option(s);

		if (opt == NULL) {
			/* Data options; one string may hold several, comma separated. */
			for (const char *p = s; *p;) {
				const char *e = strchrnul(p, ',');
				if (e > p && add_param(o, p, (size_t)(e - p), err) < 0)
					goto fail;
				p = *e ? e + 1 : e;
			}
			continue;
		}
		switch (opt->kind) {
		case OPT_ATTR:
			attr_add(&o->attr, opt->set, opt->clr);
			break;
		case OPT_RATTR:
			attr_add(&o->rattr, opt->set, opt->clr);
			break;
		case OPT_PROP:
		case OPT_RPROP:
			o->propagation = opt->set;
			o->propagation_rec = opt->kind == OPT_RPROP;
			break;
		case OPT_SB:
			if (o->sb_option == NULL)
				o->sb_option = opt->name;
			if (add_param(o, s, strlen(s), err) < 0)
				goto fail;
			break;
		case OPT_BIND:
			o->bind = true;
			break;
		case OPT_RBIND:
			o->bind = o->rbind = true;
			break;
		case OPT_IDMAP:
			o->idmap = true;
			break;
		case OPT_RIDMAP:
			o->idmap = o->ridmap = true;
			break;
		case OPT_TMPCOPYUP:
			o->tmpcopyup = true;
			break;
		case OPT_NOOP:
			break;
		case OPT_REFUSE:
			berth_fail(err, "config.json: mounts[%zu].options[%zu]: '%s' is not "
				   "supported for a container mount", idx, i, s);
			goto fail;
		}
	}
	if (m->type && strcmp(m->type, "bind") == 0)
		o->bind = true;
	if (m->uid_mappings_len || m->gid_mappings_len)
		o->idmap = true;
	return 0;
fail:
	mount_opts_free(o);
	return -1;
}

static bool is_type(const struct oci_mount *m, const char *t)
{
	return m->type && strcmp(m->type, t) == 0;
}

static int validate_entry(const struct oci_config *cfg, size_t idx, struct mount_opts *o,
			  struct berth_error **err)
{
	const struct oci_mount *m = &cfg->mounts[idx];

	if (m->destination == NULL || m->destination[0] == '\0')
		return berth_fail(err, "config.json: mounts[%zu].destination: required", idx);
	if (!o->bind && (m->type == NULL || m->type[0] == '\0' || is_type(m, "none")))
		return berth_fail(err, "config.json: mounts[%zu].type: required unless options "
				  "has bind or rbind", idx);
	if (o->bind) {
		if (m->source == NULL || m->source[0] == '\0')
			return berth_fail(err, "config.json: mounts[%zu].source: required for a "
					  "bind mount", idx);
		if (o->sb_option)
			return berth_fail(err, "config.json: mounts[%zu].options: '%s' applies to a "
					  "filesystem and cannot be set on a bind mount", idx,
					  o->sb_option);
		if (o->params_len)
			return berth_fail(err, "config.json: mounts[%zu].options: unknown option "
					  "'%s' (a bind mount takes no data options)", idx,
					  o->params[0].key);
		if (o->tmpcopyup)
			return berth_fail(err, "config.json: mounts[%zu].options: tmpcopyup needs a "
					  "tmpfs mount", idx);
	} else {
		if (o->idmap)
			return berth_fail(err, "config.json: mounts[%zu]: idmapped mounts are only "
					  "supported for bind mounts", idx);
		if (o->tmpcopyup && !is_type(m, "tmpfs"))
			return berth_fail(err, "config.json: mounts[%zu].options: tmpcopyup needs a "
					  "tmpfs mount", idx);
	}
	if ((m->uid_mappings_len == 0) != (m->gid_mappings_len == 0))
		return berth_fail(err, "config.json: mounts[%zu]: uidMappings and gidMappings "
				  "must be given together", idx);
	if (o->idmap && m->uid_mappings_len == 0 &&
	    (cfg->linux_ == NULL || cfg->linux_->uid_mappings_len == 0))
		return berth_fail(err, "config.json: mounts[%zu].options: idmap without "
				  "uidMappings needs the container's user namespace mappings", idx);
	_cleanup_free_ char *dest = path_clean(m->destination);
	if (dest == NULL)
		return berth_fail_errno(err, ENOMEM, "mounts[%zu]", idx);
	/* Only a real procfs may sit on /proc, and below it only the few files lxcfs-style
	 * tools replace (runc's list): anything else lets a container hide or fake what
	 * the runtime and the LSMs read there. */
	if (strcmp(dest, "/proc") == 0 && !is_type(m, "proc") && !o->bind)
		return berth_fail(err, "config.json: mounts[%zu]: only proc can be mounted on "
				  "/proc", idx);
	if (strncmp(dest, "/proc/", 6) == 0) {
		static const char *const allowed[] = {
			"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
			"/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
			"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
		};
		bool ok = false;
		for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok = ok || strcmp(dest, allowed[i]) == 0;
		if (!ok || !o->bind)
			return berth_fail(err, "config.json: mounts[%zu].destination: '%s' cannot be "
					  "mounted inside /proc", idx, dest);
	}
	return 0;
}

int mount_validate_all(const struct oci_config *cfg, struct berth_error **err)
{
	for (size_t i = 0; i < cfg->mounts_len; i++) {
		struct mount_opts o;
		if (mount_opts_parse(&cfg->mounts[i], i, &o, err) < 0)
			return -1;
		int r = validate_entry(cfg, i, &o, err);
		mount_opts_free(&o);
		if (r < 0)
			return -1;
	}
	return 0;
}

static int setattr(int fd, unsigned flags, struct mount_attr *a)
{
	return mount_setattr(fd, "", AT_EMPTY_PATH | flags, a, sizeof(*a));
}

int mount_apply_attrs(int mntfd, const struct mount_opts *o, struct berth_error **err)
{
	struct mount_attr r = o->rattr, a = o->attr;

	if ((r.attr_set | r.attr_clr) && setattr(mntfd, AT_RECURSIVE, &r) < 0)
		return berth_fail_errno(err, errno, "set recursive mount attributes");
	if ((a.attr_set | a.attr_clr) && setattr(mntfd, 0, &a) < 0)
		return berth_fail_errno(err, errno, "set mount attributes");
	return 0;
}

int mount_apply_propagation(int mntfd, const struct mount_opts *o, struct berth_error **err)
{
	struct mount_attr a = { .propagation = o->propagation };

	if (o->propagation && setattr(mntfd, o->propagation_rec ? AT_RECURSIVE : 0, &a) < 0)
		return berth_fail_errno(err, errno, "set mount propagation");
	return 0;
}

int mount_attach(int mntfd, int destfd, struct berth_error **err)
{
	if (move_mount(mntfd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
	    0)
		return berth_fail_errno(err, errno, "move_mount");
	return 0;
}

/* The kernel explains fsconfig failures in the context's log: "e tmpfs: Bad value for 'size'". */
static int fs_fail(int fsfd, int errnum, const char *what, struct berth_error **err)
{
	char buf[256];
	ssize_t n = read(fsfd, buf, sizeof(buf) - 1);

	if (n > 2 && buf[1] == ' ') {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return berth_fail_errno(err, errnum, "%s: %s", what, buf + 2);
	}
	return berth_fail_errno(err, errnum, "%s", what);
}

int mount_new_fs(const char *type, const char *source, const struct fs_param *params,
		 size_t n, int *mntfd, struct berth_error **err)
{
	_cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);

	if (fsfd < 0)
		return berth_fail_errno(err, errno, "fsopen '%s'", type);
	if (source && source[0] &&
	    fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return fs_fail(fsfd, errno, "source", err);
	for (size_t i = 0; i < n; i++) {
		int r = params[i].value
				? fsconfig(fsfd, FSCONFIG_SET_STRING, params[i].key, params[i].value, 0)
				: fsconfig(fsfd, FSCONFIG_SET_FLAG, params[i].key, NULL, 0);
		if (r < 0) {
			char what[300];
			snprintf(what, sizeof(what), "option '%s%s%s'", params[i].key,
				 params[i].value ? "=" : "", params[i].value ? params[i].value : "");
			return fs_fail(fsfd, errno, what, err);
		}
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_fail(fsfd, errno, "create", err);
	*mntfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (*mntfd < 0)
		return berth_fail_errno(err, errno, "fsmount");
	return 0;
}

/* ---- tmpcopyup ------------------------------------------------------------------------ */

static int copy_tree(int src, int dst, int depth, struct berth_error **err);

static int copy_entry(int src, int dst, const char *name, int depth, struct berth_error **err)
{
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_fail_errno(err, errno, "stat '%s'", name);
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dst, name, st.st_mode & 07777) < 0)
			return berth_fail_errno(err, errno, "mkdir '%s'", name);
		_cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							  O_CLOEXEC);
		_cleanup_close_ int d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
							  O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_fail_errno(err, errno, "open '%s'", name);
		if (copy_tree(s, d, depth + 1, err) < 0)
			return berth_wrap(err, "%s", name);
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_fail_errno(err, errno, "readlink '%s'", name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return berth_fail_errno(err, errno, "symlink '%s'", name);
	} else if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
							  O_CLOEXEC, st.st_mode & 07777);
		if (s < 0 || d < 0)
			return berth_fail_errno(err, errno, "open '%s'", name);
		for (;;) {
			ssize_t n = sendfile(d, s, NULL, 1 << 20);
			if (n < 0)
				return berth_fail_errno(err, errno, "copy '%s'", name);
			if (n == 0)
				break;
		}
	} else {
		if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
			return berth_fail_errno(err, errno, "mknod '%s'", name);
	}
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_fail_errno(err, errno, "chown '%s'", name);
	if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
		return berth_fail_errno(err, errno, "chmod '%s'", name);
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_tree(int src, int dst, int depth, struct berth_error **err)
{
	if (depth > 64)
		return berth_fail(err, "tmpcopyup: directory tree too deep");
	int dup_fd = dup(src);
	if (dup_fd < 0)
		return berth_fail_errno(err, errno, "tmpcopyup");
	DIR *d = fdopendir(dup_fd);
	if (d == NULL) {
		close(dup_fd);
		return berth_fail_errno(err, errno, "tmpcopyup");
	}
	struct dirent *e;
	int ret = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (copy_entry(src, dst, e->d_name, depth, err) < 0) {
			ret = -1;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* Copy what the image has at the destination into the new tmpfs, with owners and modes. */
static int tmpcopyup(int destfd, int mntfd, struct berth_error **err)
{
	_cleanup_close_ int src = openat(destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dst = openat(mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (src < 0 || dst < 0)
		return berth_fail_errno(err, errno, "tmpcopyup");
	if (copy_tree(src, dst, 0, err) < 0)
		return berth_wrap(err, "tmpcopyup");
	/* The tmpfs root takes the owner of the directory it covers. */
	if (fstat(src, &st) == 0 && fchown(dst, st.st_uid, st.st_gid) < 0)
		return berth_fail_errno(err, errno, "tmpcopyup: chown the tmpfs root");
	return 0;
}

/* Without mode=, a tmpfs takes the mode of the directory it covers, as with runc (an image's
 * /tmp stays 1777). */
static int tmpfs_root_like_dest(int destfd, int mntfd, const struct mount_opts *o,
				struct berth_error **err)
{
	struct stat st;

	for (size_t i = 0; i < o->params_len; i++)
		if (strcmp(o->params[i].key, "mode") == 0)
			return 0;
	_cleanup_close_ int root = openat(mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstat(destfd, &st) < 0 || fchmod(root, st.st_mode & 07777) < 0)
		return berth_fail_errno(err, errno, "set the mode of the tmpfs root");
	return 0;
}

/* ---- destinations ----------------------------------------------------------------------- */

/* proc and sysfs must land on a real directory, not on a symlink the image planted: a /proc
 * symlink would let the image point the runtime's later /proc reads elsewhere
 * (CVE-2019-16884 class). */
static int open_dir_nofollow(int rootfd, const char *dest, int *out, struct berth_error **err)
{
	_cleanup_close_ int dirfd = -1;
	const char *last;
	struct stat st;

	if (strcmp(dest, "/") == 0)
		return path_mkdirs(rootfd, dest, 0755, out, err);
	if (path_open_parent(rootfd, dest, &dirfd, &last, err) < 0)
		return -1;
	if (mkdirat(dirfd, last, 0755) < 0 && errno != EEXIST)
		return berth_fail_errno(err, errno, "mkdir '%s'", dest);
	int fd = openat(dirfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open '%s'", dest);
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return berth_fail(err, "'%s' must be an ordinary directory, not a %s", dest,
				  S_ISLNK(st.st_mode) ? "symlink" : "file");
	}
	*out = fd;
	return 0;
}

static char *host_source(const struct berth_container *c, const char *source)
{
	char *p;

	if (source[0] == '/' || c->bundle == NULL)
		return strdup(source);
	if (asprintf(&p, "%s/%s", c->bundle, source) < 0)
		return NULL;
	return p;
}

static int open_bind_source(const struct berth_container *c, const struct oci_mount *m,
			    const struct mount_opts *o, int *mntfd, struct berth_error **err)
{
	_cleanup_free_ char *src = host_source(c, m->source);

	if (src == NULL)
		return berth_fail_errno(err, ENOMEM, "bind source");
	*mntfd = open_tree(AT_FDCWD, src,
			   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->rbind ? AT_RECURSIVE : 0));
	if (*mntfd < 0 && errno == EINVAL && !o->rbind)
		return berth_fail_errno(err, errno, "open bind source '%s' (mounts below it are "
					"locked in a user namespace: use rbind)", src);
	if (*mntfd < 0)
		return berth_fail_errno(err, errno, "open bind source '%s'", src);
	return 0;
}

static int label_params(struct rootfs_ctx *ctx, const struct oci_mount *m, struct mount_opts *o,
			struct berth_error **err)
{
	const char *label = ctx->c->config->linux_ ? ctx->c->config->linux_->mount_label : NULL;
	_cleanup_free_ char *opt = NULL;

	/* Only filesystems without their own labelling take a context= option. */
	if (label == NULL || label[0] == '\0' || !(is_type(m, "tmpfs") || is_type(m, "devpts") ||
						   is_type(m, "mqueue")))
		return 0;
	if (asprintf(&opt, "context=\"%s\"", label) < 0)
		return berth_fail_errno(err, ENOMEM, "mountLabel");
	return add_param(o, opt, strlen(opt), err);
}

static int mount_fs(struct rootfs_ctx *ctx, const struct oci_mount *m, struct mount_opts *o,
		    int destfd, int *mntfd, struct berth_error **err)
{
	struct berth_error *e = NULL;

	if (label_params(ctx, m, o, err) < 0)
		return -1;
	if (mount_new_fs(m->type, m->source, o->params, o->params_len, mntfd, &e) == 0)
		return 0;
	/* sysfs needs a network namespace owned by the container's user namespace; without
	 * one the kernel refuses and, as runc does, the host's /sys is bound instead. */
	if (is_type(m, "sysfs") && ctx->userns && e->errnum == EPERM) {
		berth_error_free(e);
		*mntfd = open_tree(AT_FDCWD, "/sys",
				   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (*mntfd < 0)
			return berth_fail_errno(err, errno, "bind /sys");
		return 0;
	}
	*err = e;
	(void)destfd;
	return -1;
}

static int mount_open_idmapped_then_attach(struct rootfs_ctx *ctx, size_t idx,
					   struct berth_error **err)
{
	int fd;

	if (mount_open_idmapped(ctx->c, idx, &fd, err) < 0)
		return -1;
	return mount_config_entry(ctx, idx, fd, err);
}

int mount_config_entry(struct rootfs_ctx *ctx, size_t idx, int premounted,
		       struct berth_error **err)
{
	const struct oci_config *cfg = ctx->c->config;
	const struct oci_mount *m = &cfg->mounts[idx];
	_cleanup_free_ char *dest = NULL;
	_cleanup_close_ int destfd = -1;
	_cleanup_close_ int mntfd = premounted;
	struct mount_opts o;
	int ret = -1;

	/* validate_entry ran in the parent (rootfs_validate) on this config. */
	if (mount_opts_parse(m, idx, &o, err) < 0)
		return -1;
	dest = path_clean(m->destination);
	if (dest == NULL) {
		berth_fail_errno(err, ENOMEM, "mounts[%zu]", idx);
		goto out;
	}

	if (o.bind) {
		struct stat st;
		/* Without a user namespace the init still has the host's privileges and can
		 * make the idmapped tree itself; inside one only the parent can. */
		if (mntfd < 0 && o.idmap && !ctx->userns) {
			mount_opts_free(&o);
			return mount_open_idmapped_then_attach(ctx, idx, err);
		}
		if (mntfd < 0 && o.idmap) {
			berth_fail(err, "idmapped mount was not prepared by the parent "
				   "(rootfs_before_clone)");
			goto fail;
		}
		if (mntfd < 0 && open_bind_source(ctx->c, m, &o, &mntfd, err) < 0)
			goto fail;
		if (fstat(mntfd, &st) < 0) {
			berth_fail_errno(err, errno, "stat bind source");
			goto fail;
		}
		if (S_ISDIR(st.st_mode) ? path_mkdirs(ctx->rootfd, dest, 0755, &destfd, err)
					: path_mkfile(ctx->rootfd, dest, &destfd, err))
			goto fail;
		if (premounted < 0 && mount_apply_attrs(mntfd, &o, err) < 0)
			goto fail;
	} else if (is_type(m, "cgroup") || is_type(m, "cgroup2")) {
		if (path_mkdirs(ctx->rootfd, dest, 0755, &destfd, err) < 0 ||
		    mount_cgroup(ctx, m, &o, destfd, err) < 0)
			goto fail;
		ret = 0;
		goto out;
	} else {
		if ((is_type(m, "proc") || is_type(m, "sysfs"))
			    ? open_dir_nofollow(ctx->rootfd, dest, &destfd, err)
			    : path_mkdirs(ctx->rootfd, dest, 0755, &destfd, err))
			goto fail;
		if (mount_fs(ctx, m, &o, destfd, &mntfd, err) < 0)
			goto fail;
		if (is_type(m, "tmpfs") && tmpfs_root_like_dest(destfd, mntfd, &o, err) < 0)
			goto fail;
		if (o.tmpcopyup && tmpcopyup(destfd, mntfd, err) < 0)
			goto fail;
		if (mount_apply_attrs(mntfd, &o, err) < 0)
			goto fail;
	}
	if (mount_attach(mntfd, destfd, err) < 0 || mount_apply_propagation(mntfd, &o, err) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	berth_wrap(err, "mount '%s' on '%s'", o.bind ? m->source : m->type,
		   dest ? dest : m->destination);
out:
	mount_opts_free(&o);
	return ret;
}

/* ---- idmapped mounts (in the parent) ------------------------------------------------------ */

bool mount_needs_parent(const struct oci_mount *m)
{
	/* mount_opts_parse's idmap and bind, without its allocations: options match the table
	 * whole, so only these exact strings set them. */
	bool idmap = m->uid_mappings_len || m->gid_mappings_len, bind = is_type(m, "bind");

	for (size_t i = 0; i < m->options_len; i++) {
		const char *s = m->options[i];

		idmap = idmap || strcmp(s, "idmap") == 0 || strcmp(s, "ridmap") == 0;
		bind = bind || strcmp(s, "bind") == 0 || strcmp(s, "rbind") == 0;
	}
	return idmap && bind;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *maps, size_t n,
		     struct berth_error **err)
{
	char path[64], buf[4096];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[i].container_id,
				 maps[i].host_id, maps[i].size);
		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			return berth_fail(err, "%s: too many ranges", file);
		len += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return berth_fail_errno(err, errno, "write %s", path);
	return 0;
}

/* A user namespace carrying the given maps: a helper child unshares it and waits while we
 * write its maps and take a fd on it. */
static int userns_with_maps(const struct oci_id_mapping *uids, size_t nu,
			    const struct oci_id_mapping *gids, size_t ng, int *out,
			    struct berth_error **err)
{
	int ready[2], done[2];
	char path[64], c = 0;
	int ret = -1, proc_pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_fail_errno(err, errno, "pipe");
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return berth_fail_errno(err, errno, "pipe");
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		/* Our pid as the mounted /proc numbers it: the init runs this in its new pid
		 * namespace, where fork()'s return value means nothing to the host's /proc. */
		char self[32] = { 0 };
		if (readlink("/proc/self", self, sizeof(self) - 1) <= 0 ||
		    unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready[1], self, sizeof(self)) != sizeof(self) || read(done[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (pid < 0) {
		berth_fail_errno(err, errno, "fork");
		goto out;
	}
	char procpid[32];
	if (read(ready[0], procpid, sizeof(procpid)) != sizeof(procpid) ||
	    (proc_pid = atoi(procpid)) <= 0) {
		berth_fail(err, "create a user namespace for the idmapped mount");
		goto out;
	}
	if (write_map(proc_pid, "uid_map", uids, nu, err) < 0 ||
	    write_map(proc_pid, "gid_map", gids, ng, err) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)proc_pid);
	*out = open(path, O_RDONLY | O_CLOEXEC);
	if (*out < 0) {
		berth_fail_errno(err, errno, "open %s", path);
		goto out;
	}
	ret = 0;
out:
	close(ready[0]);
	close(done[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ret;
}

int mount_open_idmapped(const struct berth_container *c, size_t idx, int *mntfd,
			struct berth_error **err)
{
	const struct oci_mount *m = &c->config->mounts[idx];
	const struct oci_linux *lx = c->config->linux_;
	_cleanup_close_ int fd = -1, usernsfd = -1;
	struct mount_opts o;
	int ret = -1;

	if (mount_opts_parse(m, idx, &o, err) < 0)
		return -1;
	if (validate_entry(c->config, idx, &o, err) < 0 ||
	    open_bind_source(c, m, &o, &fd, err) < 0)
		goto out;
	/* Without explicit maps the mount is mapped like the container's user namespace. */
	if (m->uid_mappings_len
		    ? userns_with_maps(m->uid_mappings, m->uid_mappings_len, m->gid_mappings,
				       m->gid_mappings_len, &usernsfd, err)
		    : userns_with_maps(lx->uid_mappings, lx->uid_mappings_len, lx->gid_mappings,
				       lx->gid_mappings_len, &usernsfd, err))
		goto out;
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)usernsfd };
	if (setattr(fd, o.ridmap ? AT_RECURSIVE : 0, &a) < 0) {
		berth_fail_errno(err, errno, "idmap");
		goto out;
	}
	if (mount_apply_attrs(fd, &o, err) < 0)
		goto out;
	*mntfd = steal_fd(&fd);
	ret = 0;
out:
	if (ret < 0)
		berth_wrap(err, "mount '%s' on '%s'", m->source, m->destination);
	mount_opts_free(&o);
	return ret;
}
