/*
 * The cgroup filesystem inside the container, the way runc lays it out.
 *
 * Pure cgroup v2 host (or type "cgroup2"): one cgroup2 mount; in a cgroup namespace it shows
 * the container's cgroup as its root. Without a cgroup namespace and inside a user namespace
 * the kernel refuses a new cgroup2 mount, so the container's own cgroup directory is bound.
 * cgroup v1 or hybrid host with type "cgroup": a tmpfs at the destination holding one
 * directory per v1 hierarchy (cpu, memory, name=systemd as "systemd", ...): a new cgroup
 * mount of that hierarchy when the container has a cgroup namespace, otherwise a bind of the
 * container's cgroup directory from the host; "cpu,cpuacct"-style hierarchies get the
 * per-controller symlinks.
 * This file reads the host's layout from the init's own /proc/self (before pivot_root) and
 * never changes the host's cgroup mounts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "mount.h"
#include "util.h"

struct cg_mount {
	char *mountpoint, *root, *fstype, *superopts;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void free_mounts(struct cg_mount *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].mountpoint);
		free(v[i].root);
		free(v[i].fstype);
		free(v[i].superopts);
	}
	free(v);
}

/* Every cgroup and cgroup2 mount the init sees (still the host's view). */
static int read_cgroup_mounts(struct cg_mount **out, size_t *n, struct berth_error **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	struct cg_mount *v = NULL;

	*n = 0;
	if (f == NULL)
		return berth_fail_errno(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char *fields[6] = { 0 }, *save = NULL, *tok;
		int i = 0;
		char *sep = strstr(line, " - ");
		if (sep == NULL)
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
			fields[i++] = tok;
		if (i < 5)
			continue;
		char *fstype = strtok_r(sep + 3, " ", &save);
		strtok_r(NULL, " ", &save); /* source */
		char *superopts = strtok_r(NULL, " \n", &save);
		if (fstype == NULL || superopts == NULL ||
		    (strcmp(fstype, "cgroup") != 0 && strcmp(fstype, "cgroup2") != 0))
			continue;
		struct cg_mount *nv = realloc(v, (*n + 1) * sizeof(*v));
		if (nv == NULL)
			goto oom;
		v = nv;
		v[*n] = (struct cg_mount){ strdup(fields[4]), strdup(fields[3]), strdup(fstype),
					   strdup(superopts) };
		(*n)++;
		if (!v[*n - 1].mountpoint || !v[*n - 1].root || !v[*n - 1].fstype ||
		    !v[*n - 1].superopts)
			goto oom;
		unescape(v[*n - 1].mountpoint);
		unescape(v[*n - 1].root);
	}
	*out = v;
	return 0;
oom:
	free_mounts(v, *n);
	return berth_fail_errno(err, ENOMEM, "/proc/self/mountinfo");
}

static bool has_opt(const char *list, const char *opt)
{
	size_t len = strlen(opt);
	for (const char *p = list; p && *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == len && strncmp(p, opt, len) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* The hierarchy mounted with every controller in `ctrls` ("cpu,cpuacct", "name=systemd"). */
static const struct cg_mount *find_hierarchy(const struct cg_mount *v, size_t n, const char *ctrls)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].fstype, "cgroup") != 0)
			continue;
		bool all = true;
		for (const char *p = ctrls; *p && all;) {
			const char *e = strchrnul(p, ',');
			char one[64];
			snprintf(one, sizeof(one), "%.*s", (int)(e - p), p);
			all = has_opt(v[i].superopts, one);
			p = *e ? e + 1 : e;
		}
		if (all)
			return &v[i];
	}
	return NULL;
}

/* Host path of our own cgroup in hierarchy `h`: its mountpoint plus our path below its root. */
static char *own_cgroup_dir(const struct cg_mount *h, const char *path)
{
	size_t rl = strlen(h->root);
	char *out;

	if (strcmp(h->root, "/") != 0 && strncmp(path, h->root, rl) == 0)
		path += rl;
	if (asprintf(&out, "%s%s", h->mountpoint, path) < 0)
		return NULL;
	return out;
}

static int attach_sub(int parentfd, const char *name, int mntfd, const struct mount_opts *o,
		      struct berth_error **err)
{
	if (mkdirat(parentfd, name, 0755) < 0 && errno != EEXIST)
		return berth_fail_errno(err, errno, "mkdir '%s'", name);
	_cleanup_close_ int dirfd = openat(parentfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
							   O_CLOEXEC);
	if (dirfd < 0)
		return berth_fail_errno(err, errno, "open '%s'", name);
	if (mount_apply_attrs(mntfd, o, err) < 0 || mount_attach(mntfd, dirfd, err) < 0)
		return berth_wrap(err, "%s", name);
	return 0;
}

static int mount_v1(struct rootfs_ctx *ctx, const struct mount_opts *o, int destfd,
		    const struct cg_mount *mounts, size_t nmounts, struct berth_error **err)
{
	static const struct fs_param tmpfs_mode[] = { { "mode", "755" } };
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	_cleanup_free_ char *line = NULL;
	_cleanup_close_ int tmpfd = -1;
	size_t cap = 0;

	if (f == NULL)
		return berth_fail_errno(err, errno, "open /proc/self/cgroup");
	if (mount_new_fs("tmpfs", "cgroup", tmpfs_mode, 1, &tmpfd, err) < 0 ||
	    mount_attach(tmpfd, destfd, err) < 0)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		/* "4:cpu,cpuacct:/path" */
		line[strcspn(line, "\n")] = '\0';
		char *ctrls = strchr(line, ':');
		char *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (path == NULL)
			continue;
		*ctrls++ = '\0';
		*path++ = '\0';
		if (ctrls[0] == '\0')
			continue; /* the v2 line of a hybrid host */
		const struct cg_mount *h = find_hierarchy(mounts, nmounts, ctrls);
		if (h == NULL)
			continue; /* a hierarchy nobody mounted */
		const char *name = strrchr(h->mountpoint, '/') + 1;
		_cleanup_close_ int sub = -1;

		if (ctx->cgroupns) {
			/* Mount the hierarchy afresh: inside the namespace it is rooted at the
			 * container's cgroup. */
			struct fs_param params[16];
			size_t np = 0;
			_cleanup_free_ char *copy = strdup(ctrls);
			char *save = NULL;
			if (copy == NULL)
				return berth_fail_errno(err, ENOMEM, "cgroup");
			for (char *t = strtok_r(copy, ",", &save); t && np < 16;
			     t = strtok_r(NULL, ",", &save)) {
				char *eq = strchr(t, '=');
				if (eq)
					*eq++ = '\0';
				params[np++] = (struct fs_param){ t, eq };
			}
			if (mount_new_fs("cgroup", "cgroup", params, np, &sub, err) < 0)
				return berth_wrap(err, "cgroup hierarchy '%s'", ctrls);
		} else {
			_cleanup_free_ char *src = own_cgroup_dir(h, path);
			if (src == NULL)
				return berth_fail_errno(err, ENOMEM, "cgroup");
			sub = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (sub < 0)
				return berth_fail_errno(err, errno, "bind '%s'", src);
		}
		if (attach_sub(tmpfd, name, sub, o, err) < 0)
			return -1;
		/* "cpu,cpuacct" is reachable as cpu/ and cpuacct/ too. */
		if (strchr(name, ',')) {
			_cleanup_free_ char *copy = strdup(name);
			char *save = NULL;
			for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
			     t = strtok_r(NULL, ",", &save))
				if (symlinkat(name, tmpfd, t) < 0 && errno != EEXIST)
					return berth_fail_errno(err, errno, "symlink '%s'", t);
		}
	}
	if (mount_apply_attrs(tmpfd, o, err) < 0 || mount_apply_propagation(tmpfd, o, err) < 0)
		return -1;
	return 0;
}

static int mount_v2(struct rootfs_ctx *ctx, const struct mount_opts *o, int destfd,
		    const struct cg_mount *mounts, size_t nmounts, struct berth_error **err)
{
	_cleanup_close_ int mntfd = -1;
	struct berth_error *e = NULL;

	if (mount_new_fs("cgroup2", "cgroup2", o->params, o->params_len, &mntfd, &e) < 0) {
		if (!(e->errnum == EPERM && ctx->userns && !ctx->cgroupns)) {
			*err = e;
			return -1;
		}
		berth_error_free(e);
		/* Bind our own cgroup: the host's cgroup namespace is not ours to mount. */
		const struct cg_mount *h = NULL;
		for (size_t i = 0; i < nmounts && h == NULL; i++)
			if (strcmp(mounts[i].fstype, "cgroup2") == 0)
				h = &mounts[i];
		_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
		_cleanup_free_ char *line = NULL;
		size_t cap = 0;
		if (h == NULL || f == NULL)
			return berth_fail(err, "no cgroup2 hierarchy to bind");
		while (getline(&line, &cap, f) > 0)
			if (strncmp(line, "0::", 3) == 0)
				break;
		if (line == NULL || strncmp(line, "0::", 3) != 0)
			return berth_fail(err, "no cgroup2 entry in /proc/self/cgroup");
		line[strcspn(line, "\n")] = '\0';
		_cleanup_free_ char *src = own_cgroup_dir(h, line + 3);
		if (src == NULL)
			return berth_fail_errno(err, ENOMEM, "cgroup2");
		mntfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (mntfd < 0)
			return berth_fail_errno(err, errno, "bind '%s'", src);
	}
	if (mount_apply_attrs(mntfd, o, err) < 0 || mount_attach(mntfd, destfd, err) < 0 ||
	    mount_apply_propagation(mntfd, o, err) < 0)
		return -1;
	return 0;
}

int mount_cgroup(struct rootfs_ctx *ctx, const struct oci_mount *m, const struct mount_opts *o,
		 int destfd, struct berth_error **err)
{
	struct cg_mount *mounts = NULL;
	size_t n = 0;
	struct statfs sfs;
	int r;

	if (read_cgroup_mounts(&mounts, &n, err) < 0)
		return -1;
	bool pure_v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	if (strcmp(m->type, "cgroup2") == 0 || pure_v2) {
		r = mount_v2(ctx, o, destfd, mounts, n, err);
	} else {
		if (o->params_len) {
			free_mounts(mounts, n);
			return berth_fail(err, "unknown option '%s' (the v1 cgroup layout takes no "
					  "data options)", o->params[0].key);
		}
		r = mount_v1(ctx, o, destfd, mounts, n, err);
	}
	free_mounts(mounts, n);
	return r;
}
