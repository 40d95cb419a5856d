/*
 * File helpers for the cgroup drivers: write a value to a control file, read one back, make
 * and remove cgroup directories, list the processes of a tree of cgroups.
 * Every message names the file it concerns. These helpers never decide which files to touch:
 * that is the drivers' job, and they must never write outside a container's directories
 * (mkdir of missing parents excepted).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

struct cgroup_dir *cgroup_find_dir(struct berth_cgroup *cg, const char *controller)
{
	size_t len = strlen(controller);

	for (size_t i = 0; i < cg->n_dirs; i++) {
		const char *p = cg->dirs[i].controllers;

		if (*p == '\0')
			continue;
		/* "cpu,cpuacct" holds cpu and cpuacct. */
		while (p) {
			if (strncmp(p, controller, len) == 0 && (p[len] == ',' || p[len] == '\0'))
				return &cg->dirs[i];
			p = strchr(p, ',');
			if (p)
				p++;
		}
	}
	return NULL;
}

struct cgroup_dir *cgroup_v2_dir(struct berth_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cg->dirs[i].controllers[0] == '\0')
			return &cg->dirs[i];
	return NULL;
}

int cgroup_dir_fd(const struct cgroup_dir *d)
{
	/* The fd is a cache of the directory object itself, which is never const underneath:
	 * readers get it through const pointers. */
	struct cgroup_dir *cache = (struct cgroup_dir *)d;

	if (cache->fd == CGROUP_FD_LATER) {
		int fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 && errno != ENOENT)
			return -1;
		cache->fd = fd;
	}
	if (cache->fd < 0)
		errno = ENOENT;
	return cache->fd;
}

bool cgroup_has_file(const struct cgroup_dir *d, const char *file)
{
	int dfd = cgroup_dir_fd(d);

	return dfd >= 0 && faccessat(dfd, file, F_OK, 0) == 0;
}

int cgroup_open_file(const struct cgroup_dir *d, const char *file, int flags,
		     struct berth_error **err)
{
	int dfd = cgroup_dir_fd(d), fd;

	if (dfd < 0)
		return berth_fail_errno(err, errno, "cgroup '%s'", d->dir);
	fd = openat(dfd, file, flags | O_CLOEXEC);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open '%s/%s'", d->dir, file);
	return fd;
}

int cgroup_write(const struct cgroup_dir *d, const char *file, const char *value,
		 struct berth_error **err)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if ((fd = cgroup_open_file(d, file, O_WRONLY, err)) < 0)
		return -1;
	n = write(fd, value, len);
	if (n < 0)
		return berth_fail_errno(err, errno, "write '%s' to '%s/%s'", value, d->dir, file);
	if ((size_t)n != len)
		return berth_fail(err, "write '%s' to '%s/%s': short write", value, d->dir, file);
	return 0;
}

int cgroup_writef(const struct cgroup_dir *d, const char *file, struct berth_error **err,
		  const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0) {
		value = NULL;
		return berth_fail_errno(err, ENOMEM, "write '%s/%s'", d->dir, file);
	}
	return cgroup_write(d, file, value, err);
}

int cgroup_read(const struct cgroup_dir *d, const char *file, char **out,
		struct berth_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	if ((fd = cgroup_open_file(d, file, O_RDONLY, err)) < 0)
		return -1;
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 8192);

			if (nb == NULL)
				return berth_fail_errno(err, ENOMEM, "read '%s/%s'", d->dir, file);
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_fail_errno(err, errno, "read '%s/%s'", d->dir, file);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return 0;
}

int cgroup_read_u64(const struct cgroup_dir *d, const char *file, uint64_t *out,
		    struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;
	char *end;

	if (cgroup_read(d, file, &s, err) < 0)
		return -1;
	if (strcmp(s, "max") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || end == s || (*end != '\0' && *end != '\n' && *end != ' '))
		return berth_fail(err, "'%s/%s': expected a number, got '%s'", d->dir, file, s);
	return 0;
}

int cgroup_read_key(const struct cgroup_dir *d, const char *file, const char *key,
		    uint64_t *out, struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;
	size_t klen = strlen(key);

	if (cgroup_read(d, file, &s, err) < 0)
		return -1;
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			*out = strtoull(line + klen + 1, NULL, 10);
			return 0;
		}
	}
	return berth_fail_errno(err, ENOENT, "'%s/%s': no key '%s'", d->dir, file, key);
}

/* Remember a directory cgroup_create made in cg->created (removed again if the create
 * fails); on ENOMEM it is removed at once. */
static int remember_created(struct berth_cgroup *cg, const char *path, struct berth_error **err)
{
	char **nc = realloc(cg->created, (cg->n_created + 1) * sizeof(*nc));
	char *dup = strdup(path);

	if (nc == NULL || dup == NULL) {
		free(dup);
		if (nc)
			cg->created = nc;
		rmdir(path);
		return berth_fail_errno(err, ENOMEM, "mkdir '%s'", path);
	}
	cg->created = nc;
	cg->created[cg->n_created++] = dup;
	return 0;
}

int cgroup_mkdir_p(struct berth_cgroup *cg, const char *dir, struct berth_error **err)
{
	_cleanup_free_ char *copy = NULL;
	bool made = false;

	/* The parent usually exists (/sys/fs/cgroup/<ctrl>/berth): one mkdir first, instead of
	 * one per path component (six syscalls in each v1 hierarchy of a hybrid host). */
	if (mkdir(dir, 0755) == 0)
		return remember_created(cg, dir, err) < 0 ? -1 : 1;
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return berth_fail_errno(err, errno, "mkdir '%s'", dir);
	copy = strdup(dir);
	if (copy == NULL)
		return berth_fail_errno(err, ENOMEM, "mkdir '%s'", dir);
	for (char *p = copy + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		made = mkdir(copy, 0755) == 0;
		if (made) {
			if (remember_created(cg, copy, err) < 0)
				return -1;
		} else if (errno != EEXIST) {
			return berth_fail_errno(err, errno, "mkdir '%s'", copy);
		}
		if (saved == '\0')
			break;
		*p = saved;
	}
	return made;
}

static int rmdir_retrying(const char *dir, struct berth_error **err)
{
	/* A cgroup cannot be removed while it has tasks; killed processes take a moment to be
	 * reaped and leave it, so retry for up to ~5 s. */
	struct timespec ts = { 0, 1000000 };

	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i >= 60)
			return berth_fail_errno(err, errno, "remove cgroup '%s'", dir);
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 100000000)
			ts.tv_nsec *= 2;
	}
}

/* Call fn on each child cgroup (subdirectory) of dir, depth first through fn itself.
 * `what` names the operation in messages. A missing dir has no children. */
static int for_each_child(const char *dir, const char *what,
			  int (*fn)(const char *sub, void *arg, struct berth_error **err), void *arg,
			  struct berth_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return berth_fail_errno(err, errno, "%s: open cgroup '%s'", what, dir);
	}
	while ((e = readdir(d)) != NULL) {
		_cleanup_free_ char *sub = NULL;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0) {
			sub = NULL;
			r = berth_fail_errno(err, ENOMEM, "%s '%s'", what, dir);
			break;
		}
		if (fn(sub, arg, err) < 0) {
			r = -1;
			break;
		}
	}
	closedir(d);
	return r;
}

static int rmdir_tree_child(const char *sub, void *arg, struct berth_error **err)
{
	return cgroup_rmdir_tree(sub, err);
}

int cgroup_rmdir_tree(const char *dir, struct berth_error **err)
{
	/* Usually the cgroup has no children and its tasks are gone: one rmdir does it, where
	 * listing it first cost an open, two getdents and a close in each of the ten v1
	 * hierarchies. Children or tasks make it fail with EBUSY: then the walk below.
	 * Cgroups made inside the container's (nested runtimes, systemd) go first. */
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	if (for_each_child(dir, "remove cgroup", rmdir_tree_child, NULL, err) < 0)
		return -1;
	return rmdir_retrying(dir, err);
}

static int append_pid(pid_t **pids, size_t *n, pid_t pid)
{
	pid_t *np = realloc(*pids, (*n + 1) * sizeof(*np));

	if (np == NULL)
		return -1;
	*pids = np;
	(*pids)[(*n)++] = pid;
	return 0;
}

struct pid_list {
	pid_t **pids;
	size_t *n;
};

static int collect_child_pids(const char *sub, void *arg, struct berth_error **err)
{
	struct pid_list *l = arg;
	return cgroup_collect_pids(sub, l->pids, l->n, err);
}

int cgroup_collect_pids(const char *dir, pid_t **pids, size_t *n, struct berth_error **err)
{
	_cleanup_free_ char *procs = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct pid_list l = { pids, n };
	long pid;

	if (asprintf(&procs, "%s/cgroup.procs", dir) < 0) {
		procs = NULL;
		return berth_fail_errno(err, ENOMEM, "list '%s'", dir);
	}
	f = fopen(procs, "re");
	if (f == NULL)
		return berth_fail_errno(err, errno, "open '%s'", procs);
	while (fscanf(f, "%ld", &pid) == 1)
		if (append_pid(pids, n, (pid_t)pid) < 0)
			return berth_fail_errno(err, ENOMEM, "read '%s'", procs);
	return for_each_child(dir, "list", collect_child_pids, &l, err);
}

int64_t cgroup_parse_page_size(const char *s)
{
	char *end;
	long long v;
	int64_t mult;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return -1;
	if (strcmp(end, "KB") == 0)
		mult = 1LL << 10;
	else if (strcmp(end, "MB") == 0)
		mult = 1LL << 20;
	else if (strcmp(end, "GB") == 0)
		mult = 1LL << 30;
	else
		return -1;
	if (v > INT64_MAX / mult)
		return -1;
	return v * mult;
}

/* rdma.max has the same format on v1 and v2. */
int cgroup_apply_rdma(const struct cgroup_dir *d, const struct oci_resources *r,
		      struct berth_error **err)
{
	for (size_t i = 0; i < r->rdma_len; i++) {
		const struct oci_rdma *x = &r->rdma[i];
		char handles[32] = "max", objects[32] = "max";

		if (x->has_hca_handles)
			snprintf(handles, sizeof(handles), "%u", x->hca_handles);
		if (x->has_hca_objects)
			snprintf(objects, sizeof(objects), "%u", x->hca_objects);
		if (cgroup_writef(d, "rdma.max", err, "%s hca_handle=%s hca_object=%s", x->device,
				  handles, objects) < 0)
			return berth_wrap(err, "linux.resources.rdma.%s", x->device);
	}
	return 0;
}
