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
 * The host's layout is read by the parent before the clone (mount_cgroup_prepare): the cgroup
 * mounts and berth's own /proc/self/cgroup with the container's cgroups put in, which is what
 * the init's own file says once it has joined them. Read in the init instead, after the fork,
 * the stdio buffers and parsing were page faults of their own.
 * This file never changes the host's cgroup mounts.
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

#include "cgroup.h"
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

/* Every cgroup and cgroup2 mount in `mountinfo` (the host's view, which the init shares until
 * pivot_root). */
static int read_cgroup_mounts(const char *mountinfo, struct cg_mount **out, size_t *n,
			      struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(mountinfo);
	char *lsave = NULL;
	struct cg_mount *v = NULL;

	*n = 0;
	if (copy == NULL)
		return berth_fail_errno(err, ENOMEM, "/proc/self/mountinfo");
	for (char *line = strtok_r(copy, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
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
		char *superopts = strtok_r(NULL, " ", &save);
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
			size_t len = (size_t)(e - p) < sizeof(one) ? (size_t)(e - p) : sizeof(one) - 1;

			memcpy(one, p, len);
			one[len] = '\0';
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
	size_t rl = strlen(h->root), ml = strlen(h->mountpoint), pl;
	char *out;

	if (strcmp(h->root, "/") != 0 && strncmp(path, h->root, rl) == 0)
		path += rl;
	pl = strlen(path);
	out = malloc(ml + pl + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, h->mountpoint, ml);
	memcpy(out + ml, path, pl + 1);
	return out;
}

/* What mount_cgroup_prepare found for `for_c`; the init inherits it. After the clone the
 * parent only lets go of it (mount_cgroup_release) and frees it at its next prepare:
 * freeing it while the init runs would cost a copy-on-write fault per page the frees write. */
static struct {
	const struct berth_container *for_c;
	bool ready;
	bool pure_v2; /* /sys/fs/cgroup is a cgroup2 mount */
	struct cg_mount *mounts;
	size_t n_mounts;
	char *own; /* the init's /proc/self/cgroup: "4:cpu,cpuacct:/berth/id\n..." */
} host;

static bool has_cgroup_mount(const struct oci_config *cfg)
{
	for (size_t i = 0; i < cfg->mounts_len; i++)
		if (cfg->mounts[i].type && (strcmp(cfg->mounts[i].type, "cgroup") == 0 ||
					    strcmp(cfg->mounts[i].type, "cgroup2") == 0))
			return true;
	return false;
}

static int append(char **buf, size_t *len, const char *s, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);

	if (nb == NULL)
		return -1;
	memcpy(nb + *len, s, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/* Our /proc/self/cgroup, each hierarchy the container's cgroup is in pointing at it. */
static int predict_own_cgroups(const struct berth_cgroup *cg, char **out,
			       struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(cgroup_self_cgroup(cg));
	char *buf = NULL, *save = NULL;
	size_t len = 0;

	if (copy == NULL || append(&buf, &len, "", 0) < 0)
		goto nomem;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrls = strchr(line, ':');
		char *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
		const char *theirs;

		if (path == NULL)
			continue;
		*path++ = '\0';
		theirs = cgroup_path_in(cg, ctrls + 1);
		if (append(&buf, &len, line, strlen(line)) < 0 || append(&buf, &len, ":", 1) < 0 ||
		    append(&buf, &len, theirs ? theirs : path, strlen(theirs ? theirs : path)) < 0 ||
		    append(&buf, &len, "\n", 1) < 0)
			goto nomem;
	}
	*out = buf;
	return 0;
nomem:
	free(buf);
	return berth_fail_errno(err, ENOMEM, "/proc/self/cgroup");
}

static void forget_host(void)
{
	if (!host.ready)
		return;
	free_mounts(host.mounts, host.n_mounts);
	free(host.own);
	memset(&host, 0, sizeof(host));
}

int mount_cgroup_prepare(const struct berth_container *c, struct berth_error **err)
{
	const char *mountinfo;
	struct statfs sfs;

	if (host.ready && host.for_c == c)
		return 0;
	forget_host();
	if (!has_cgroup_mount(c->config))
		return 0;
	/* What cgroup_create read of the host (one read of each file per create). */
	if (c->cgroup == NULL)
		return berth_fail(err, "the container has no cgroup to mount");
	if ((mountinfo = cgroup_mountinfo(c->cgroup, err)) == NULL ||
	    read_cgroup_mounts(mountinfo, &host.mounts, &host.n_mounts, err) < 0)
		return -1;
	if (predict_own_cgroups(c->cgroup, &host.own, err) < 0) {
		free_mounts(host.mounts, host.n_mounts);
		host.mounts = NULL;
		return -1;
	}
	host.pure_v2 = statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
	host.for_c = c;
	host.ready = true;
	return 0;
}

void mount_cgroup_release(void)
{
	host.for_c = NULL;
}

/* The next line of host.own after `*pos`, copied into `buf` (which it must fit). */
static char *next_own_line(const char **pos, char *buf, size_t size)
{
	const char *p = *pos, *e;
	size_t len;

	if (p == NULL || *p == '\0')
		return NULL;
	e = strchrnul(p, '\n');
	len = (size_t)(e - p) < size ? (size_t)(e - p) : size - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	*pos = *e ? e + 1 : e;
	return buf;
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
	_cleanup_close_ int tmpfd = -1;
	const char *pos = host.own;
	char buf[8192], *line;

	if (mount_new_fs("tmpfs", "cgroup", tmpfs_mode, 1, &tmpfd, err) < 0 ||
	    mount_attach(tmpfd, destfd, err) < 0)
		return -1;
	while ((line = next_own_line(&pos, buf, sizeof(buf))) != NULL) {
		/* "4:cpu,cpuacct:/path" */
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
		const char *pos = host.own;
		char buf[8192], *line;
		if (h == NULL)
			return berth_fail(err, "no cgroup2 hierarchy to bind");
		while ((line = next_own_line(&pos, buf, sizeof(buf))) != NULL)
			if (strncmp(line, "0::", 3) == 0)
				break;
		if (line == NULL)
			return berth_fail(err, "no cgroup2 entry in /proc/self/cgroup");
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
	/* Prepared by the parent; read here only when it was not (the init's own cgroups are
	 * the container's by now, so what it finds is the same). */
	if (mount_cgroup_prepare(ctx->c, err) < 0)
		return -1;
	if (strcmp(m->type, "cgroup2") == 0 || host.pure_v2)
		return mount_v2(ctx, o, destfd, host.mounts, host.n_mounts, err);
	if (o->params_len)
		return berth_fail(err, "unknown option '%s' (the v1 cgroup layout takes no data "
				  "options)", o->params[0].key);
	return mount_v1(ctx, o, destfd, host.mounts, host.n_mounts, err);
}
