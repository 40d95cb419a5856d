/*
 * Layer extraction. The rules, in order of importance:
 *  1. No path from a layer is ever handed to a syscall that resolves it from "/" or that
 *     follows a symlink in it: parents are opened with openat2(RESOLVE_IN_ROOT), the last
 *     component is always handled with *at() and NOFOLLOW semantics.
 *  2. An entry that names something outside the rootfs is refused and reported on stderr,
 *     and extraction goes on; only real I/O errors fail the layer.
 *  3. Later layers replace earlier entries; directories merge, as in docker.
 * This file must never touch a path outside the rootfs it was given.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "unpack.h"
#include "util.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"

int unpack_open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};

	if (*path == '\0')
		path = ".";
	return openat2_retry(rootfd, path, &how);
}

int unpack_remove_tree(int parent, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unpack_remove_tree(dirfd(d), de->d_name) < 0) {
			int e = errno;
			closedir(d);
			errno = e;
			return -1;
		}
	}
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

/* ---- the set of paths this layer wrote (for opaque directories) ----------------------- */

struct path_set {
	char **slots;
	size_t cap, len;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static bool set_contains(const struct path_set *s, const char *p)
{
	if (s->cap == 0)
		return false;
	for (size_t i = hash_str(p) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i] == NULL)
			return false;
		if (strcmp(s->slots[i], p) == 0)
			return true;
	}
}

static int set_insert(struct path_set *s, const char *p)
{
	if (set_contains(s, p))
		return 0;
	if ((s->len + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		char **slots = calloc(cap, sizeof(char *));
		if (slots == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slots[i] == NULL)
				continue;
			size_t j = hash_str(s->slots[i]) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	size_t i = hash_str(p) & (s->cap - 1);
	while (s->slots[i])
		i = (i + 1) & (s->cap - 1);
	if ((s->slots[i] = strdup(p)) == NULL)
		return -1;
	s->len++;
	return 0;
}

static void set_free(struct path_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
}

/* ---- one layer -------------------------------------------------------------------------- */

struct dir_time {
	char *path;
	struct timespec times[2];
};

struct layer {
	int rootfd;
	const char *what;
	struct unpack_stats *stats;
	struct path_set written;
	struct dir_time *dirs;
	size_t ndirs;
	bool is_root;
};

static void refuse(struct layer *l, const char *name, const char *why)
{
	l->stats->refused++;
	fprintf(stderr, "berth-pull: layer %s: refusing '%s': %s\n", l->what, name, why);
}

/*
 * Normalise a tar path into components joined by '/': leading '/' and "." parts go (absolute
 * names mean the rootfs, as in docker); a ".." part is refused, since it can only be meant to
 * climb out. Returns false for a refused path; "" is the rootfs itself.
 */
static bool clean_path(const char *in, char *out, size_t outlen)
{
	size_t len = 0;
	const char *p = in;

	while (*p) {
		const char *end;
		size_t n;
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, '/');
		n = end ? (size_t)(end - p) : strlen(p);
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (len + n + 2 > outlen)
			return false;
		if (len)
			out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	out[len] = '\0';
	return true;
}

/* Make sure every directory of `path` exists, creating missing ones (0755) the way docker
 * does when a layer omits them. Each prefix is resolved from the root again, so a symlink
 * met on the way is followed inside the rootfs only. */
static int ensure_dirs(struct layer *l, char *path)
{
	for (char *p = path;; p++) {
		char saved = *p;
		int fd;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		fd = unpack_open_in_root(l->rootfd, path, O_PATH | O_DIRECTORY);
		if (fd >= 0) {
			close(fd);
		} else if (errno == ENOENT) {
			char *last = strrchr(path, '/');
			int parent, mr, e;
			if (last) {
				*last = '\0';
				parent = unpack_open_in_root(l->rootfd, path, O_PATH | O_DIRECTORY);
				*last = '/';
			} else {
				parent = fcntl(l->rootfd, F_DUPFD_CLOEXEC, 0);
			}
			if (parent < 0) {
				*p = saved;
				return -1;
			}
			mr = mkdirat(parent, last ? last + 1 : path, 0755);
			e = errno;
			close(parent);
			if (mr < 0 && e != EEXIST) {
				*p = saved;
				errno = e;
				return -1;
			}
		} else {
			*p = saved;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			return 0;
	}
}

/* Open the parent of `path` inside the rootfs; *base points at the last component. */
static int open_parent(struct layer *l, char *path, const char **base)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*base = path;
		return fcntl(l->rootfd, F_DUPFD_CLOEXEC, 0);
	}
	*base = slash + 1;
	*slash = '\0';
	fd = unpack_open_in_root(l->rootfd, path, O_PATH | O_DIRECTORY);
	if (fd < 0 && errno == ENOENT && ensure_dirs(l, path) == 0)
		fd = unpack_open_in_root(l->rootfd, path, O_PATH | O_DIRECTORY);
	*slash = '/';
	return fd;
}

static void apply_xattrs(struct layer *l, int fd, struct archive_entry *e, const char *name)
{
	const char *key;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
		if (fsetxattr(fd, key, value, size, 0) < 0 && errno != ENOTSUP && l->is_root)
			fprintf(stderr, "berth-pull: layer %s: '%s': xattr %s: %s\n", l->what, name, key,
				strerror(errno));
	}
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

/* Owner first: chown clears setuid/setgid, so the mode goes on after it. */
static int set_owner_mode(struct layer *l, int fd, struct archive_entry *e)
{
	if (fchown(fd, archive_entry_uid(e), archive_entry_gid(e)) < 0 && l->is_root)
		return -1;
	return fchmod(fd, archive_entry_perm(e) & 07777);
}

static int write_data(struct archive *a, int fd, int64_t size)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (len > 0) {
			ssize_t n = pwrite(fd, p, len, off);
			if (n < 0)
				return -1;
			p += n;
			len -= n;
			off += n;
		}
	}
	if (r != ARCHIVE_EOF) {
		errno = EIO;
		return -2;
	}
	/* Sparse files may end in a hole. */
	return ftruncate(fd, size);
}

/* Make room for a new entry: anything but a directory meeting a directory goes. */
static int clear_existing(int parent, const char *base, bool new_is_dir)
{
	struct stat sb;

	if (fstatat(parent, base, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (new_is_dir && S_ISDIR(sb.st_mode))
		return 1;
	return unpack_remove_tree(parent, base);
}

static int opaque_dir(struct layer *l, int parent, const char *dirpath)
{
	char child[PATH_MAX];
	struct dirent *de;
	int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", dirpath, *dirpath ? "/" : "",
				     de->d_name) >= sizeof(child))
			continue;
		/* Entries of this same layer stay: the marker hides only what lies below it. */
		if (set_contains(&l->written, child))
			continue;
		if (unpack_remove_tree(dirfd(d), de->d_name) < 0) {
			int e = errno;
			closedir(d);
			errno = e;
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static int extract_entry(struct layer *l, struct archive *a, struct archive_entry *e,
			 struct berth_error **err)
{
	const char *raw = archive_entry_pathname(e), *base, *hardlink = archive_entry_hardlink(e);
	char path[PATH_MAX], target[PATH_MAX];
	_cleanup_close_ int parent = -1;
	mode_t type = archive_entry_filetype(e);
	struct timespec ts[2];
	int r;

	if (raw == NULL)
		return 0;
	if (!clean_path(raw, path, sizeof(path))) {
		refuse(l, raw, "path leaves the rootfs");
		return 0;
	}
	if (path[0] == '\0')
		return 0; /* the rootfs itself keeps the bundle's owner and mode */
	entry_times(e, ts);
	parent = open_parent(l, path, &base);
	if (parent < 0) {
		if (errno == ENOTDIR || errno == ELOOP || errno == EXDEV || errno == ENOENT) {
			refuse(l, raw, "its parent is not a directory inside the rootfs");
			return 0;
		}
		return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
	}
	{
		/* The path as written, for the opaque-directory bookkeeping. */
		char dirpath[PATH_MAX];
		size_t dl = base - path ? (size_t)(base - path - 1) : 0;
		memcpy(dirpath, path, dl);
		dirpath[dl] = '\0';

		if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
			if (opaque_dir(l, parent, dirpath) < 0)
				return berth_fail_errno(err, errno, "layer %s: opaque '%s'", l->what, raw);
			return 0;
		}
		if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0) {
			const char *victim = base + strlen(WHITEOUT_PREFIX);
			if (*victim == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0) {
				refuse(l, raw, "whiteout of the directory itself or its parent");
				return 0;
			}
			if (unpack_remove_tree(parent, victim) < 0)
				return berth_fail_errno(err, errno, "layer %s: whiteout '%s'", l->what, raw);
			return 0;
		}
	}
	if (set_insert(&l->written, path) < 0)
		return berth_fail(err, "out of memory");

	if (hardlink) {
		_cleanup_close_ int tparent = -1;
		const char *tbase;
		if (!clean_path(hardlink, target, sizeof(target)) || target[0] == '\0') {
			refuse(l, raw, "hardlink target leaves the rootfs");
			return 0;
		}
		tparent = open_parent(l, target, &tbase);
		if (tparent < 0) {
			refuse(l, raw, "hardlink target is not inside the rootfs");
			return 0;
		}
		if (clear_existing(parent, base, false) < 0)
			return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
		/* No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never its target. */
		if (linkat(tparent, tbase, parent, base, 0) < 0) {
			if (errno == ENOENT || errno == EPERM || errno == EXDEV) {
				refuse(l, raw, "hardlink target does not exist in the rootfs");
				return 0;
			}
			return berth_fail_errno(err, errno, "layer %s: hardlink '%s'", l->what, raw);
		}
		l->stats->entries++;
		return 0;
	}

	switch (type) {
	case AE_IFDIR: {
		_cleanup_close_ int fd = -1;
		r = clear_existing(parent, base, true);
		if (r < 0 || (r == 0 && mkdirat(parent, base, 0700) < 0 && errno != EEXIST))
			return berth_fail_errno(err, errno, "layer %s: mkdir '%s'", l->what, raw);
		fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || set_owner_mode(l, fd, e) < 0)
			return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
		apply_xattrs(l, fd, e, raw);
		/* Directory times are set once the layer is done: children change them. */
		struct dir_time *nd = realloc(l->dirs, (l->ndirs + 1) * sizeof(*nd));
		if (nd == NULL || (nd[l->ndirs].path = strdup(path)) == NULL) {
			if (nd)
				l->dirs = nd;
			return berth_fail(err, "out of memory");
		}
		nd[l->ndirs].times[0] = ts[0];
		nd[l->ndirs].times[1] = ts[1];
		l->dirs = nd;
		l->ndirs++;
		break;
	}
	case AE_IFREG: {
		_cleanup_close_ int fd = -1;
		if (clear_existing(parent, base, false) < 0)
			return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
		fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_fail_errno(err, errno, "layer %s: create '%s'", l->what, raw);
		r = write_data(a, fd, archive_entry_size(e));
		if (r == -2)
			return berth_fail(err, "layer %s: '%s': %s", l->what, raw, archive_error_string(a));
		if (r < 0 || set_owner_mode(l, fd, e) < 0)
			return berth_fail_errno(err, errno, "layer %s: write '%s'", l->what, raw);
		apply_xattrs(l, fd, e, raw);
		if (futimens(fd, ts) < 0)
			return berth_fail_errno(err, errno, "layer %s: times of '%s'", l->what, raw);
		break;
	}
	case AE_IFLNK: {
		const char *to = archive_entry_symlink(e);
		if (to == NULL)
			to = "";
		if (clear_existing(parent, base, false) < 0 || symlinkat(to, parent, base) < 0)
			return berth_fail_errno(err, errno, "layer %s: symlink '%s'", l->what, raw);
		/* Where it points is the container's business: it is only ever resolved in-root. */
		if (fchownat(parent, base, archive_entry_uid(e), archive_entry_gid(e),
			     AT_SYMLINK_NOFOLLOW) < 0 && l->is_root)
			return berth_fail_errno(err, errno, "layer %s: chown '%s'", l->what, raw);
		utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW);
		break;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO: {
		_cleanup_close_ int fd = -1;
		if (clear_existing(parent, base, false) < 0)
			return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
		if (mknodat(parent, base, type | (archive_entry_perm(e) & 07777),
			    type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0) {
			if (errno == EPERM) {
				refuse(l, raw, "device nodes need root");
				return 0;
			}
			return berth_fail_errno(err, errno, "layer %s: mknod '%s'", l->what, raw);
		}
		fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berth_fail_errno(err, errno, "layer %s: '%s'", l->what, raw);
		if (fchownat(parent, base, archive_entry_uid(e), archive_entry_gid(e),
			     AT_SYMLINK_NOFOLLOW) < 0 && l->is_root)
			return berth_fail_errno(err, errno, "layer %s: chown '%s'", l->what, raw);
		/* fchmodat() follows symlinks; the node was just made by us, and is no symlink. */
		fchmodat(parent, base, archive_entry_perm(e) & 07777, 0);
		utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW);
		break;
	}
	default:
		refuse(l, raw, "sockets and unknown entry types are not unpacked");
		return 0;
	}
	l->stats->entries++;
	return 0;
}

int unpack_layer(int rootfd, int blobfd, const char *what, struct unpack_stats *stats,
		 struct berth_error **err)
{
	struct layer l = { .rootfd = rootfd, .what = what, .stats = stats, .is_root = geteuid() == 0 };
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int r, rc = -1;

	if (a == NULL)
		return berth_fail(err, "out of memory");
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_none(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, blobfd, 1 << 20) != ARCHIVE_OK) {
		berth_fail(err, "layer %s: %s", what, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		if (extract_entry(&l, a, e, err) < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		berth_fail(err, "layer %s: %s", what, archive_error_string(a));
		goto out;
	}
	/* Deepest first, so setting a parent's time is not undone by touching a child. */
	for (size_t i = l.ndirs; i-- > 0;) {
		int fd = unpack_open_in_root(rootfd, l.dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd >= 0) {
			futimens(fd, l.dirs[i].times);
			close(fd);
		}
	}
	rc = 0;
out:
	for (size_t i = 0; i < l.ndirs; i++)
		free(l.dirs[i].path);
	free(l.dirs);
	set_free(&l.written);
	archive_read_free(a);
	return rc;
}
