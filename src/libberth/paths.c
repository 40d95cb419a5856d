/*
 * Resolution and creation of paths inside a rootfs that may be hostile (DESIGN.md: the image
 * is part of the threat model). Lookups are openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * from a rootfs fd, so a planted symlink or ".." stays inside the rootfs (CVE-2019-19921,
 * CVE-2021-30465); what does not exist yet is created with mkdirat/openat below the fd of its
 * parent and re-opened with O_NOFOLLOW, so a symlink swapped in meanwhile makes the call fail
 * instead of redirecting it.
 * This file must never build a host path out of a container path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "paths.h"
#include "util.h"

char *path_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* drop the '/' too */
		} else {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = e;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

int path_openat_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return openat2_retry(rootfd, path, &how);
}

/* Open the deepest existing directory of the components of `clean` up to `upto` characters,
 * creating the rest. `missing`: the caller already found that whole prefix absent. */
static int mkdirs_prefix(int rootfd, const char *clean, size_t upto, bool missing, mode_t mode,
			 int *out, struct berth_error **err)
{
	_cleanup_free_ char *prefix = strndup(clean, upto);
	size_t cut;
	int fd;

	if (prefix == NULL)
		return berth_fail_errno(err, ENOMEM, "'%s'", clean);
	if (prefix[0] == '\0') {
		fd = path_openat_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
		if (fd < 0)
			return berth_fail_errno(err, errno, "open the rootfs");
		*out = fd;
		return 0;
	}
	/* Find the deepest prefix that exists. */
	cut = strlen(prefix);
	if (missing) {
		while (cut > 0 && prefix[cut - 1] != '/')
			cut--;
		if (cut > 0)
			cut--;
	}
	for (;;) {
		char saved = prefix[cut];
		prefix[cut] = '\0';
		fd = path_openat_in_root(rootfd, cut ? prefix : "/", O_PATH | O_DIRECTORY);
		prefix[cut] = saved;
		if (fd >= 0)
			break;
		if (errno != ENOENT)
			return berth_fail_errno(err, errno, "open '%.*s'", (int)cut, prefix);
		while (cut > 0 && prefix[cut - 1] != '/')
			cut--;
		if (cut > 0)
			cut--;
	}
	/* Create the rest one component at a time, never following what we find. */
	while (prefix[cut] == '/') {
		const char *name = prefix + cut + 1;
		size_t n = strcspn(name, "/");
		char comp[n + 1];
		memcpy(comp, name, n);
		comp[n] = '\0';
		if (mkdirat(fd, comp, mode) < 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			return berth_fail_errno(err, e, "mkdir '%.*s'", (int)(cut + 1 + n), prefix);
		}
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(fd);
		if (next < 0)
			return berth_fail_errno(err, e, "open '%.*s'", (int)(cut + 1 + n), prefix);
		fd = next;
		cut += 1 + n;
	}
	*out = fd;
	return 0;
}

int path_mkdirs(int rootfd, const char *path, mode_t mode, int *out, struct berth_error **err)
{
	_cleanup_free_ char *clean = path_clean(path);

	if (clean == NULL)
		return berth_fail_errno(err, ENOMEM, "'%s'", path);
	int fd = path_openat_in_root(rootfd, clean, O_PATH | O_DIRECTORY);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno != ENOENT)
		return berth_fail_errno(err, errno, "open '%s'", clean);
	return mkdirs_prefix(rootfd, clean, strlen(clean), true, mode, out, err);
}

int path_open_parent(int rootfd, const char *clean, int *dirfd, const char **last,
		     struct berth_error **err)
{
	const char *slash = strrchr(clean, '/');

	if (strcmp(clean, "/") == 0)
		return berth_fail(err, "'/' has no parent");
	*last = slash + 1;
	return mkdirs_prefix(rootfd, clean, (size_t)(slash - clean), false, 0755, dirfd, err);
}

int path_mkfile(int rootfd, const char *path, int *out, struct berth_error **err)
{
	_cleanup_free_ char *clean = path_clean(path);
	_cleanup_close_ int dirfd = -1;
	const char *last;
	struct stat st;

	if (clean == NULL)
		return berth_fail_errno(err, ENOMEM, "'%s'", path);
	int fd = path_openat_in_root(rootfd, clean, O_PATH);
	if (fd < 0 && errno != ENOENT)
		return berth_fail_errno(err, errno, "open '%s'", clean);
	if (fd < 0) {
		if (path_open_parent(rootfd, clean, &dirfd, &last, err) < 0)
			return -1;
		int wfd = openat(dirfd, last, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
				 0644);
		if (wfd < 0 && errno != EEXIST)
			return berth_fail_errno(err, errno, "create '%s'", clean);
		if (wfd >= 0)
			close(wfd);
		fd = openat(dirfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berth_fail_errno(err, errno, "open '%s'", clean);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return berth_fail_errno(err, e, "stat '%s'", clean);
	}
	if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)) {
		close(fd);
		return berth_fail(err, "'%s': expected a file, found a %s", clean,
				  S_ISDIR(st.st_mode) ? "directory" : "symlink");
	}
	*out = fd;
	return 0;
}
