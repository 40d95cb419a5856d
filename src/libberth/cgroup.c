/*
 * The cgroup interface (cgroup.h): finds the host's layout once (pure v2, hybrid, v1), turns
 * linux.cgroupsPath into one directory per hierarchy with runc's rules, and hands the work to
 * the v2 or v1 driver. It owns the lifetime of struct berth_cgroup.
 *
 * cgroupsPath, as runc reads it:
 *   "/a/b"               absolute: /a/b in every hierarchy;
 *   "a/b"                relative: below berth's own cgroup on v1, below its parent on v2
 *                        (the own cgroup of a process cannot have children with controllers);
 *   "slice:prefix:name"  with --systemd-cgroup: the path systemd gives that scope
 *                        (/system.slice/prefix-name.scope), written through cgroupfs;
 *   absent               /berth/<id> (with --systemd-cgroup /system.slice/berth-<id>.scope).
 * This file must never change a cgroup berth did not create, apart from what the drivers need
 * in the parents (v2 subtree_control, v1 cpuset.cpus/mems when empty), and a failed create
 * must leave no directory behind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cgroup-internal.h"
#include "util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The v1 hierarchies runc joins (libcontainer/cgroups/fs), the named systemd one included. */
static const char *const v1_controllers[] = {
	"cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb",
	"net_cls", "net_prio", "perf_event", "freezer", "rdma", "name=systemd", NULL,
};

static int detect_layout(enum cgroup_layout *layout, struct berth_error **err)
{
	struct statfs st;

	if (statfs(CGROUP_ROOT, &st) < 0)
		return berth_fail_errno(err, errno, "statfs '%s'", CGROUP_ROOT);
	if (st.f_type == CGROUP2_SUPER_MAGIC) {
		*layout = CGROUP_LAYOUT_V2;
		return 0;
	}
	if (statfs(CGROUP_ROOT "/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		*layout = CGROUP_LAYOUT_HYBRID;
	else
		*layout = CGROUP_LAYOUT_V1;
	return 0;
}

static bool wanted_v1(const char *controllers)
{
	_cleanup_free_ char *copy = strdup(controllers);
	char *save = NULL;

	if (copy == NULL)
		return false;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (size_t i = 0; v1_controllers[i]; i++)
			if (strcmp(tok, v1_controllers[i]) == 0)
				return true;
	return false;
}

static bool has_token(const char *list, const char *tok)
{
	size_t len = strlen(tok);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, tok, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

/* The roots of the v1 hierarchies mounted here: "super options" and mount point of each. */
struct v1_mount {
	char *super; /* "rw,memory", "rw,cpu,cpuacct", "rw,xattr,name=systemd" */
	char *point;
};

static void free_v1_mounts(struct v1_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].super);
		free(m[i].point);
	}
	free(m);
}

/* A whole /proc file (their size reads as 0, so until EOF). */
static char *read_proc_file(const char *path, struct berth_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0) {
		berth_fail_errno(err, errno, "open '%s'", path);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2048) {
			char *nb = realloc(buf, cap + 4096);

			if (nb == NULL) {
				free(buf);
				berth_fail_errno(err, ENOMEM, "read '%s'", path);
				return NULL;
			}
			buf = nb;
			cap += 4096;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			berth_fail_errno(err, errno, "read '%s'", path);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

const char *cgroup_mountinfo(struct berth_cgroup *cg, struct berth_error **err);

/* The `n`th space-separated field of a mountinfo line (0-based), its length in *len. */
static const char *field(const char *line, int n, size_t *len)
{
	const char *p = line;

	for (int i = 0; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p == NULL)
		return NULL;
	*len = strcspn(p, " \n");
	return p;
}

/* The roots of the v1 hierarchies in /proc/self/mountinfo, read once for every hierarchy:
 * the kernel renders the whole mount table on each read. Fields are split by hand: sscanf
 * into path-sized buffers cost more than the rest of cgroup_create. */
static int read_v1_mounts(struct berth_cgroup *cg, struct v1_mount **out, size_t *n_out,
			  struct berth_error **err)
{
	struct v1_mount *m = NULL;
	size_t n = 0;

	if (cgroup_mountinfo(cg, err) == NULL)
		return -1;
	for (const char *line = cg->mountinfo; *line;) {
		const char *end = strchrnul(line, '\n'), *dash = strstr(line, " - ");
		const char *root, *point, *super;
		size_t root_len, point_len, super_len;
		struct v1_mount *nm;

		if (dash == NULL || dash > end || strncmp(dash, " - cgroup ", 10) != 0 ||
		    (root = field(line, 3, &root_len)) == NULL ||
		    (point = field(line, 4, &point_len)) == NULL ||
		    (super = field(dash + 3, 2, &super_len)) == NULL || super > end ||
		    root_len != 1 || root[0] != '/') {
			line = *end ? end + 1 : end;
			continue;
		}
		line = *end ? end + 1 : end;
		nm = realloc(m, (n + 1) * sizeof(*m));
		if (nm == NULL)
			goto nomem;
		m = nm;
		m[n] = (struct v1_mount){ .super = strndup(super, super_len),
					  .point = strndup(point, point_len) };
		n++;
		if (m[n - 1].super == NULL || m[n - 1].point == NULL)
			goto nomem;
	}
	*out = m;
	*n_out = n;
	return 0;
nomem:
	free_v1_mounts(m, n);
	return berth_fail_errno(err, ENOMEM, "read '/proc/self/mountinfo'");
}

/* Where the v1 hierarchy holding `controllers` is mounted (the mount of its root). */
static int find_v1_mount(const struct v1_mount *m, size_t n, const char *controllers,
			 char **mount, struct berth_error **err)
{
	_cleanup_free_ char *first = strndup(controllers, strcspn(controllers, ","));

	if (first == NULL)
		return berth_fail_errno(err, ENOMEM, "find the %s cgroup mount", controllers);
	for (size_t i = 0; i < n; i++) {
		if (!has_token(m[i].super, first))
			continue;
		*mount = strdup(m[i].point);
		if (*mount == NULL)
			return berth_fail_errno(err, ENOMEM, "find the %s cgroup mount", controllers);
		return 0;
	}
	*mount = NULL;
	return 0;
}

static void free_dirs(struct cgroup_dir *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(dirs[i].controllers);
		free(dirs[i].mount);
		free(dirs[i].path);
		free(dirs[i].dir);
		if (dirs[i].fd >= 0)
			close(dirs[i].fd);
	}
	free(dirs);
}

static int add_dir(struct berth_cgroup *cg, const char *controllers, char *mount,
		   const char *own, struct berth_error **err)
{
	struct cgroup_dir *nd = realloc(cg->dirs, (cg->n_dirs + 1) * sizeof(*nd));

	if (nd == NULL) {
		free(mount);
		return berth_fail_errno(err, ENOMEM, "cgroup");
	}
	cg->dirs = nd;
	nd = &cg->dirs[cg->n_dirs++];
	*nd = (struct cgroup_dir){ .controllers = strdup(controllers), .mount = mount,
				   .path = strdup(own), .fd = -1 };
	if (nd->controllers == NULL || nd->path == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroup");
	return 0;
}

/* One cgroup_dir per hierarchy, with `path` set to the caller's own cgroup there. */
static int list_hierarchies(struct berth_cgroup *cg, struct berth_error **err)
{
	_cleanup_free_ char *copy = NULL;
	struct v1_mount *mounts = NULL;
	size_t n_mounts = 0;
	bool have_mounts = false;
	char *save = NULL;
	int r = -1;

	cg->self_cgroup = read_proc_file("/proc/self/cgroup", err);
	if (cg->self_cgroup == NULL || (copy = strdup(cg->self_cgroup)) == NULL)
		return cg->self_cgroup ? berth_fail_errno(err, ENOMEM, "cgroup") : -1;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctrl, *own;
		char *mount = NULL;

		ctrl = strchr(line, ':');
		own = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (own == NULL)
			continue;
		*ctrl++ = '\0';
		*own++ = '\0';
		if (*ctrl == '\0') {
			if (cg->layout == CGROUP_LAYOUT_V1)
				continue;
			mount = strdup(cg->layout == CGROUP_LAYOUT_V2 ? CGROUP_ROOT
								       : CGROUP_ROOT "/unified");
			if (mount == NULL) {
				berth_fail_errno(err, ENOMEM, "cgroup");
				goto out;
			}
		} else {
			if (cg->layout == CGROUP_LAYOUT_V2 || !wanted_v1(ctrl))
				continue;
			if (!have_mounts && read_v1_mounts(cg, &mounts, &n_mounts, err) < 0)
				goto out;
			have_mounts = true;
			if (find_v1_mount(mounts, n_mounts, ctrl, &mount, err) < 0)
				goto out;
			if (mount == NULL) /* in /proc/self/cgroup but not mounted here */
				continue;
		}
		if (add_dir(cg, ctrl, mount, own, err) < 0)
			goto out;
	}
	if (cg->n_dirs == 0) {
		berth_fail(err, "no cgroup hierarchy found under '%s'", CGROUP_ROOT);
		goto out;
	}
	r = 0;
out:
	free_v1_mounts(mounts, n_mounts);
	return r;
}

/* runc's CleanPath: "." and ".." resolved lexically, never above the start. */
static char *clean_path(const char *in)
{
	_cleanup_free_ char *copy = strdup(in);
	char *out = malloc(strlen(in) + 2), *save = NULL;
	size_t len = 0;

	if (copy == NULL || out == NULL) {
		free(out);
		return NULL;
	}
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			continue;
		}
		out[len++] = '/';
		memcpy(out + len, tok, strlen(tok));
		len += strlen(tok);
	}
	out[len] = '\0';
	return out; /* "/a/b", or "" for the root */
}

/* "a-b-c.slice" → "/a.slice/a-b.slice/a-b-c.slice", as systemd lays out slices. */
static int expand_slice(const char *slice, char **out, struct berth_error **err)
{
	size_t len = strlen(slice);
	char *buf;
	size_t used = 0;

	if (strcmp(slice, "-.slice") == 0) {
		*out = strdup("");
		return *out ? 0 : berth_fail_errno(err, ENOMEM, "cgroupsPath");
	}
	if (len <= 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/') ||
	    slice[0] == '-' || strstr(slice, "--") || slice[len - 7] == '-')
		return berth_fail(err, "config.json: linux.cgroupsPath: invalid slice name '%s'",
				  slice);
	buf = malloc(len * len + 1);
	if (buf == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroupsPath");
	for (size_t i = 0; i <= len - 6; i++) {
		if (i != len - 6 && slice[i] != '-')
			continue;
		used += (size_t)sprintf(buf + used, "/%.*s.slice", (int)i, slice);
	}
	*out = buf;
	return 0;
}

static int systemd_path(const char *spec, const char *id, char **out, struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : "");
	_cleanup_free_ char *parent = NULL;
	const char *slice = "system.slice", *prefix = "berth", *name = id;
	int r;

	if (copy == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroupsPath");
	if (spec && *spec) {
		char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 == NULL || strchr(c2 + 1, ':'))
			return berth_fail(err,
					  "config.json: linux.cgroupsPath: expected "
					  "\"slice:prefix:name\" with --systemd-cgroup, got '%s'",
					  spec);
		*c1 = *c2 = '\0';
		slice = *copy ? copy : "system.slice";
		prefix = c1 + 1;
		name = c2 + 1;
		if (*name == '\0' || strchr(name, '/') || strchr(prefix, '/'))
			return berth_fail(err,
					  "config.json: linux.cgroupsPath: invalid unit name in '%s'",
					  spec);
	}
	if (expand_slice(slice, &parent, err) < 0)
		return -1;
	if (strlen(name) > 6 && strcmp(name + strlen(name) - 6, ".slice") == 0) {
		_cleanup_free_ char *sub = NULL;

		if (expand_slice(name, &sub, err) < 0)
			return -1;
		*out = steal_pointer(&sub);
		return 0;
	}
	if (*prefix)
		r = asprintf(out, "%s/%s-%s.scope", parent, prefix, name);
	else
		r = asprintf(out, "%s/%s.scope", parent, name);
	if (r < 0)
		return berth_fail_errno(err, ENOMEM, "cgroupsPath");
	return 0;
}

static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strndup(path, slash ? (size_t)(slash - path) : 0);
}

/* Turn each dir's `path` (the caller's own cgroup) into the container's cgroup. */
static int resolve_paths(struct berth_cgroup *cg, const struct berth_container *c,
			 struct berth_error **err)
{
	const char *spec = c->config->linux_ ? c->config->linux_->cgroups_path : NULL;
	bool systemd = c->opts && c->opts->systemd_cgroup;
	_cleanup_free_ char *inner = NULL;
	bool relative = false;

	if (spec && strchr(spec, '\n'))
		return berth_fail(err, "config.json: linux.cgroupsPath: must not contain a newline");
	if (systemd) {
		if (systemd_path(spec, c->id, &inner, err) < 0)
			return -1;
	} else if (spec && *spec) {
		relative = spec[0] != '/';
		inner = clean_path(spec);
		if (inner == NULL)
			return berth_fail_errno(err, ENOMEM, "cgroupsPath");
		if (*inner == '\0')
			return berth_fail(err,
					  "config.json: linux.cgroupsPath: '%s' names the root cgroup",
					  spec);
	} else if (asprintf(&inner, "/berth/%s", c->id) < 0) {
		inner = NULL;
		return berth_fail_errno(err, ENOMEM, "cgroupsPath");
	}

	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct cgroup_dir *d = &cg->dirs[i];
		_cleanup_free_ char *base = NULL;
		char *path;

		if (relative && d->controllers[0] == '\0')
			base = parent_of(d->path);
		else if (relative)
			base = strdup(strcmp(d->path, "/") == 0 ? "" : d->path);
		else
			base = strdup("");
		if (base == NULL || asprintf(&path, "%s%s", base, inner) < 0)
			return berth_fail_errno(err, ENOMEM, "cgroupsPath");
		free(d->path);
		d->path = path;
	}
	return 0;
}

static int set_dir_names(struct berth_cgroup *cg, struct berth_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (asprintf(&cg->dirs[i].dir, "%s%s", cg->dirs[i].mount, cg->dirs[i].path) < 0) {
			cg->dirs[i].dir = NULL;
			return berth_fail_errno(err, ENOMEM, "cgroup");
		}
	return 0;
}

/* One path when every hierarchy agrees, else "controllers:path" lines as in /proc/pid/cgroup. */
static int make_path_string(struct berth_cgroup *cg, struct berth_error **err)
{
	bool same = true;
	size_t total = 1;

	for (size_t i = 0; i < cg->n_dirs; i++) {
		same = same && strcmp(cg->dirs[i].path, cg->dirs[0].path) == 0;
		total += strlen(cg->dirs[i].controllers) + strlen(cg->dirs[i].path) + 2;
	}
	if (same) {
		cg->path = strdup(cg->dirs[0].path);
		return cg->path ? 0 : berth_fail_errno(err, ENOMEM, "cgroup");
	}
	cg->path = calloc(1, total);
	if (cg->path == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroup");
	for (size_t i = 0; i < cg->n_dirs; i++)
		sprintf(cg->path + strlen(cg->path), "%s%s:%s", i ? "\n" : "",
			cg->dirs[i].controllers, cg->dirs[i].path);
	return 0;
}

static int new_cgroup(struct berth_cgroup **out, struct berth_error **err)
{
	struct berth_cgroup *cg = calloc(1, sizeof(*cg));

	if (cg == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroup");
	cg->oom_fd = cg->oom_control_fd = -1;
	if (detect_layout(&cg->layout, err) < 0 || list_hierarchies(cg, err) < 0) {
		cgroup_free(cg);
		return -1;
	}
	*out = cg;
	return 0;
}

/* Remove what this create made, deepest first. Plain rmdir, never a tree: a parent made here
 * may meanwhile hold another container's cgroup. Nothing ran in ours, so it is empty. */
static void undo_created(struct berth_cgroup *cg)
{
	for (size_t i = cg->n_created; i-- > 0;)
		rmdir(cg->created[i]);
}

int cgroup_create(struct berth_container *c, struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;
	const struct oci_resources *r = c->config->linux_ ? c->config->linux_->resources : NULL;
	static const struct oci_resources none;
	_cleanup_free_ struct cgroup_dev_rule *rules = NULL;
	size_t n_rules = 0;
	int ret;

	if (r == NULL)
		r = &none;
	if (new_cgroup(&cg, err) < 0)
		return berth_wrap(err, "cgroup");
	if (resolve_paths(cg, c, err) < 0 || set_dir_names(cg, err) < 0 ||
	    make_path_string(cg, err) < 0 || cgroup_device_rules(c->config, &rules, &n_rules, err) < 0)
		goto fail;
	if (cg->layout == CGROUP_LAYOUT_V2)
		ret = cgroup_v2_validate(r, err);
	else
		ret = cgroup_v1_validate(cg, r, err);
	if (ret < 0)
		goto fail;

	if (cg->layout == CGROUP_LAYOUT_V2)
		ret = cgroup_v2_make(cg, err);
	else
		ret = cgroup_v1_make(cg, err);
	if (ret < 0)
		goto undo;
	if (cg->layout == CGROUP_LAYOUT_V2)
		ret = cgroup_v2_apply(cg, r, rules, n_rules, false, err);
	else
		ret = cgroup_v1_apply(cg, r, rules, n_rules, false, err);
	if (ret < 0)
		goto undo;
	c->cgroup = cg;
	return 0;

undo:
	undo_created(cg);
fail:
	cgroup_free(cg);
	return -1;
}

int cgroup_clone_fd(const struct berth_cgroup *cg)
{
	if (cg == NULL || cg->layout != CGROUP_LAYOUT_V2)
		return -1;
	return cgroup_dir_fd(&cg->dirs[0]);
}

int cgroup_enter(struct berth_cgroup *cg, pid_t pid, struct berth_error **err)
{
	/* Formatted by hand on a small stack frame: this runs right after the clone, where
	 * every page written (vasprintf's heap, vfprintf's deep frame) is a copy-on-write fault. */
	char value[16], *p = value + sizeof(value);

	*--p = '\0';
	do
		*--p = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cgroup_write(&cg->dirs[i], "cgroup.procs", p, err) < 0)
			return berth_wrap(err, "join cgroup");
	return 0;
}

const char *cgroup_path(const struct berth_cgroup *cg)
{
	return cg->path;
}

const char *cgroup_self_cgroup(const struct berth_cgroup *cg)
{
	return cg->self_cgroup;
}

const char *cgroup_mountinfo(struct berth_cgroup *cg, struct berth_error **err)
{
	if (cg->mountinfo == NULL)
		cg->mountinfo = read_proc_file("/proc/self/mountinfo", err);
	return cg->mountinfo;
}

const char *cgroup_path_in(const struct berth_cgroup *cg, const char *controllers)
{
	for (size_t i = 0; cg && i < cg->n_dirs; i++)
		if (strcmp(cg->dirs[i].controllers, controllers) == 0)
			return cg->dirs[i].path;
	return NULL;
}

/* Fill each hierarchy's path from a cgroup_path() string. */
static int parse_path_string(struct berth_cgroup *cg, const char *spec, struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(spec);

	if (copy == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroup");
	if (spec[0] == '/') {
		for (size_t i = 0; i < cg->n_dirs; i++) {
			free(cg->dirs[i].path);
			cg->dirs[i].path = strdup(spec);
			if (cg->dirs[i].path == NULL)
				return berth_fail_errno(err, ENOMEM, "cgroup");
		}
		return 0;
	}
	for (size_t i = 0; i < cg->n_dirs; i++) {
		free(cg->dirs[i].path);
		cg->dirs[i].path = NULL;
	}
	for (char *line = copy, *next; line; line = next) {
		char *colon = strchr(line, ':');

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (colon == NULL || colon[1] != '/')
			return berth_fail(err, "cgroup path '%s': malformed line '%s'", spec, line);
		*colon = '\0';
		for (size_t i = 0; i < cg->n_dirs; i++)
			if (strcmp(cg->dirs[i].controllers, line) == 0 &&
			    !(cg->dirs[i].path = strdup(colon + 1)))
				return berth_fail_errno(err, ENOMEM, "cgroup");
	}
	/* A hierarchy mounted since the container was made holds nothing of it: drop it. */
	for (size_t i = 0; i < cg->n_dirs;) {
		if (cg->dirs[i].path) {
			i++;
			continue;
		}
		free(cg->dirs[i].controllers);
		free(cg->dirs[i].mount);
		memmove(&cg->dirs[i], &cg->dirs[i + 1], (cg->n_dirs - i - 1) * sizeof(cg->dirs[0]));
		cg->n_dirs--;
	}
	return 0;
}

int cgroup_open(const char *path, struct berth_cgroup **out, struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;

	if (path == NULL || *path == '\0')
		return berth_fail(err, "cgroup: empty path");
	if (new_cgroup(&cg, err) < 0)
		return berth_wrap(err, "cgroup '%s'", path);
	if (parse_path_string(cg, path, err) < 0 || set_dir_names(cg, err) < 0 ||
	    !(cg->path = strdup(path))) {
		if (cg->path == NULL && (err == NULL || *err == NULL))
			berth_fail_errno(err, ENOMEM, "cgroup");
		cgroup_free(cg);
		return -1;
	}
	/* Each directory is opened when first needed: delete, the commonest user, only
	 * removes them by name, and state only reads the freezer. */
	for (size_t i = 0; i < cg->n_dirs; i++)
		cg->dirs[i].fd = CGROUP_FD_LATER;
	*out = cg;
	return 0;
}

/* The directory whose cgroup.procs lists the container's processes. */
static struct cgroup_dir *procs_dir(struct berth_cgroup *cg, struct berth_error **err)
{
	struct cgroup_dir *d = NULL;

	if (cg->layout != CGROUP_LAYOUT_V2)
		d = cgroup_find_dir(cg, "freezer");
	if (d == NULL || cgroup_dir_fd(d) < 0)
		d = cgroup_v2_dir(cg);
	for (size_t i = 0; (d == NULL || cgroup_dir_fd(d) < 0) && i < cg->n_dirs; i++)
		d = &cg->dirs[i];
	if (d == NULL || cgroup_dir_fd(d) < 0) {
		berth_fail_errno(err, ENOENT, "cgroup '%s'", cg->n_dirs ? cg->dirs[0].dir : cg->path);
		return NULL;
	}
	return d;
}

int cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, struct berth_error **err)
{
	struct cgroup_dir *d = procs_dir(cg, err);

	*pids = NULL;
	*n = 0;
	if (d == NULL || cgroup_collect_pids(d->dir, pids, n, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err)
{
	struct cgroup_dir *d;

	if (cg->layout == CGROUP_LAYOUT_V2) {
		d = cgroup_v2_dir(cg);
		return cgroup_v2_freeze(d, frozen, err);
	}
	return cgroup_v1_freeze(cg, frozen, err);
}

int cgroup_is_frozen(struct berth_cgroup *cg, bool *frozen, struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;
	struct cgroup_dir *d;

	if (cg->layout == CGROUP_LAYOUT_V2) {
		d = cgroup_v2_dir(cg);
		if (cgroup_read(d, "cgroup.freeze", &s, err) < 0)
			return -1;
		*frozen = strcmp(s, "1") == 0;
		return 0;
	}
	d = cgroup_find_dir(cg, "freezer");
	if (d == NULL) {
		*frozen = false;
		return 0;
	}
	if (cgroup_read(d, "freezer.state", &s, err) < 0)
		return -1;
	*frozen = strcmp(s, "THAWED") != 0;
	return 0;
}

int cgroup_kill_all(struct berth_cgroup *cg, int sig, struct berth_error **err)
{
	struct cgroup_dir *v2 = cgroup_v2_dir(cg);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	bool was_frozen = false, froze = false;
	int ret = 0;

	if (cgroup_is_frozen(cg, &was_frozen, err) < 0)
		return -1;
	/* cgroup.kill (5.14) kills the whole tree atomically, also processes forking meanwhile;
	 * on hybrid hosts the processes are in the unified hierarchy too, but a v1 freezer
	 * still holds them until thawed. */
	if (sig == SIGKILL && v2 && cgroup_has_file(v2, "cgroup.kill")) {
		if (cgroup_write(v2, "cgroup.kill", "1", err) < 0)
			return -1;
		if (cg->layout != CGROUP_LAYOUT_V2 && was_frozen)
			return cgroup_freeze(cg, false, err);
		return 0;
	}

	/* Otherwise freeze first so nothing forks between listing and signalling. */
	if (!was_frozen && (cg->layout == CGROUP_LAYOUT_V2 || cgroup_find_dir(cg, "freezer"))) {
		if (cgroup_freeze(cg, true, err) < 0)
			return -1;
		froze = true;
	}
	if (cgroup_pids(cg, &pids, &n, err) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			ret = berth_fail_errno(err, errno, "kill %d", (int)pids[i]);
	/* A v1 frozen task acts on SIGKILL only once thawed: thaw a paused container too so the
	 * kill takes effect (runc does the same); other signals wait for resume. */
	if (!froze && was_frozen && sig == SIGKILL && ret == 0 && cgroup_freeze(cg, false, err) < 0)
		ret = -1;
	if (froze) {
		struct berth_error *thaw_err = NULL;

		if (cgroup_freeze(cg, false, ret < 0 ? &thaw_err : err) < 0 && ret == 0)
			ret = -1;
		berth_error_free(thaw_err);
	}
	return ret;
}

int cgroup_update(struct berth_cgroup *cg, const struct oci_resources *r,
		  struct berth_error **err)
{
	int ret;

	if (cg->layout == CGROUP_LAYOUT_V2)
		ret = cgroup_v2_validate(r, err);
	else
		ret = cgroup_v1_validate(cg, r, err);
	if (ret == 0 && cg->layout == CGROUP_LAYOUT_V2)
		ret = cgroup_v2_apply(cg, r, NULL, 0, true, err);
	else if (ret == 0)
		ret = cgroup_v1_apply(cg, r, NULL, 0, true, err);
	return ret;
}

int cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err)
{
	int ret = 0;

	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct berth_error *e = NULL;

		if (cgroup_rmdir_tree(cg->dirs[i].dir, ret < 0 ? &e : err) < 0)
			ret = -1;
		berth_error_free(e);
	}
	return ret;
}

void cgroup_free(struct berth_cgroup *cg)
{
	if (cg == NULL)
		return;
	free_dirs(cg->dirs, cg->n_dirs);
	if (cg->oom_fd >= 0)
		close(cg->oom_fd);
	if (cg->oom_control_fd >= 0)
		close(cg->oom_control_fd);
	for (size_t i = 0; i < cg->n_created; i++)
		free(cg->created[i]);
	free(cg->created);
	free(cg->self_cgroup);
	free(cg->mountinfo);
	free(cg->path);
	free(cg);
}
