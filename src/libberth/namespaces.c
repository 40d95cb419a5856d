/*
 * linux.namespaces and the settings that live in a namespace.
 *
 * Split in time the way the kernel forces it:
 *  - namespaces_clone_flags(): the CLONE_NEW* flags clone3 creates (pid, net, mount, ipc, uts,
 *    user). The cgroup and time namespaces are NOT among them: a cgroup namespace takes its
 *    root from the cgroup of its creator, so it is unshared by the child once the parent has
 *    placed it in the container's cgroup; a time namespace freezes its offsets as soon as a
 *    process lives in it, so the child unshares it, writes timeOffsets, and only then enters.
 *    A new network namespace is left out of clone3 too (namespaces_unshare_first): the child
 *    unshares it first thing, while the parent places it in its cgroups.
 *  - namespaces_join_before_clone(): the parent joins a pid namespace given by path.
 *  - namespaces_write_id_maps(): the parent writes the user namespace's maps.
 *  - namespaces_join(): the child joins namespaces by path (user first, mount last) and creates
 *    the cgroup and time namespaces.
 *  - namespaces_apply_settings(): hostname, domainname, sysctl.
 * This file must never write a sysctl that is not owned by a namespace the container has its
 * own of: that would change the host.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#include "namespaces.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct ns_kind {
	const char *type; /* the runtime-spec name */
	unsigned long flag;
	const char *proc; /* name under /proc/<pid>/ns */
};

/* Order matters for joining: user first (it grants the rights to join the others), mount
 * last (the other paths must still be reachable when they are opened). */
static const struct ns_kind kinds[] = {
	{ "user", CLONE_NEWUSER, "user" },    { "pid", CLONE_NEWPID, "pid" },
	{ "network", CLONE_NEWNET, "net" },   { "ipc", CLONE_NEWIPC, "ipc" },
	{ "uts", CLONE_NEWUTS, "uts" },       { "cgroup", CLONE_NEWCGROUP, "cgroup" },
	{ "time", CLONE_NEWTIME, "time" },    { "mount", CLONE_NEWNS, "mnt" },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct ns_kind *kind_of(const char *type)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (type && strcmp(kinds[i].type, type) == 0)
			return &kinds[i];
	return NULL;
}

/* The entry of linux.namespaces of this kind, or NULL. */
static const struct oci_namespace *find_ns(const struct oci_config *cfg, unsigned long flag)
{
	if (cfg->linux_ == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->linux_->namespaces_len; i++) {
		const struct ns_kind *k = kind_of(cfg->linux_->namespaces[i].type);
		if (k && k->flag == flag)
			return &cfg->linux_->namespaces[i];
	}
	return NULL;
}

static bool ns_new(const struct oci_config *cfg, unsigned long flag)
{
	const struct oci_namespace *ns = find_ns(cfg, flag);
	return ns && (ns->path == NULL || ns->path[0] == '\0');
}

static bool ns_joined(const struct oci_config *cfg, unsigned long flag)
{
	const struct oci_namespace *ns = find_ns(cfg, flag);
	return ns && ns->path && ns->path[0];
}

static int check_sysctls(const struct oci_config *cfg, struct berth_error **err);

static int check_id_maps(const char *name, const struct oci_id_mapping *maps, size_t n,
			 struct berth_error **err)
{
	/* The kernel accepts at most 340 lines in a map. */
	if (n > 340)
		return berth_fail(err, "config.json: linux.%s: at most 340 ranges are allowed", name);
	for (size_t i = 0; i < n; i++) {
		if (maps[i].size == 0)
			return berth_fail(err, "config.json: linux.%s[%zu].size: must not be 0", name,
					  i);
		if ((uint64_t)maps[i].container_id + maps[i].size > 0xffffffffULL ||
		    (uint64_t)maps[i].host_id + maps[i].size > 0xffffffffULL)
			return berth_fail(err, "config.json: linux.%s[%zu]: range overflows 32 bits",
					  name, i);
	}
	return 0;
}

int namespaces_clone_flags(const struct oci_config *cfg, unsigned long *flags,
			   struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;
	unsigned long seen = 0, out = 0;

	*flags = 0;
	if (lx == NULL)
		return 0;
	for (size_t i = 0; i < lx->namespaces_len; i++) {
		const struct oci_namespace *ns = &lx->namespaces[i];
		const struct ns_kind *k = kind_of(ns->type);

		if (k == NULL)
			return berth_fail(err, "config.json: linux.namespaces[%zu].type: unknown "
					  "namespace type '%s'", i, ns->type ? ns->type : "");
		if (seen & k->flag)
			return berth_fail(err, "config.json: linux.namespaces[%zu]: namespace '%s' "
					  "listed twice", i, k->type);
		seen |= k->flag;
		if (ns->path && ns->path[0]) {
			if (ns->path[0] != '/')
				return berth_fail(err, "config.json: linux.namespaces[%zu].path: must "
						  "be absolute", i);
			continue;
		}
		if (k->flag != CLONE_NEWCGROUP && k->flag != CLONE_NEWTIME)
			out |= k->flag;
	}

	bool userns = ns_new(cfg, CLONE_NEWUSER);
	if (userns && (lx->uid_mappings_len == 0 || lx->gid_mappings_len == 0))
		return berth_fail(err, "config.json: linux.uidMappings, linux.gidMappings: required "
				  "with a new user namespace");
	if (!userns && (lx->uid_mappings_len || lx->gid_mappings_len))
		return berth_fail(err, "config.json: linux.uidMappings: needs a new user namespace "
				  "in linux.namespaces");
	if (check_id_maps("uidMappings", lx->uid_mappings, lx->uid_mappings_len, err) < 0 ||
	    check_id_maps("gidMappings", lx->gid_mappings, lx->gid_mappings_len, err) < 0)
		return -1;

	/* Namespaces created together with joining a user namespace must be owned by that user
	 * namespace, so the child creates them with unshare() after setns(); a pid namespace
	 * cannot be created that way without a second fork. */
	if (ns_joined(cfg, CLONE_NEWUSER)) {
		if (out & CLONE_NEWPID)
			return berth_fail(err, "config.json: linux.namespaces: a new pid namespace "
					  "together with a user namespace joined by path is not "
					  "supported");
		out = 0;
	}

	if (lx->time_offsets && !ns_new(cfg, CLONE_NEWTIME))
		return berth_fail(err, "config.json: linux.timeOffsets: needs a new time namespace "
				  "in linux.namespaces");
	if (cfg->hostname && cfg->hostname[0] && !find_ns(cfg, CLONE_NEWUTS))
		return berth_fail(err, "config.json: hostname: needs a uts namespace in "
				  "linux.namespaces");
	if (cfg->domainname && cfg->domainname[0] && !find_ns(cfg, CLONE_NEWUTS))
		return berth_fail(err, "config.json: domainname: needs a uts namespace in "
				  "linux.namespaces");
	if (check_sysctls(cfg, err) < 0)
		return -1;
	*flags = out;
	return 0;
}

unsigned long namespaces_unshare_first(const struct oci_config *cfg, unsigned long clone_flags)
{
	if (cfg->linux_ && cfg->linux_->net_devices_len)
		return 0;
	return clone_flags & CLONE_NEWNET;
}

static int open_ns(const struct oci_namespace *ns, const struct ns_kind *k, int *fd,
		   struct berth_error **err)
{
	struct statfs sfs;

	*fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return berth_fail_errno(err, errno, "open %s namespace '%s'", k->type, ns->path);
	/* A bind-mounted namespace lives on nsfs, /proc/<pid>/ns/ entries are magic links to it. */
	if (fstatfs(*fd, &sfs) < 0 || sfs.f_type != NSFS_MAGIC) {
		close(*fd);
		*fd = -1;
		return berth_fail(err, "%s namespace '%s': not a namespace file", k->type,
				  ns->path);
	}
	return 0;
}

static int join_one(const struct oci_namespace *ns, const struct ns_kind *k, int fd,
		    struct berth_error **err)
{
	if (setns(fd, (int)k->flag) < 0)
		return berth_fail_errno(err, errno, "join %s namespace '%s'", k->type, ns->path);
	return 0;
}

int namespaces_join_before_clone(const struct oci_config *cfg, struct berth_error **err)
{
	const struct oci_namespace *ns = find_ns(cfg, CLONE_NEWPID);
	_cleanup_close_ int fd = -1;

	if (ns == NULL || ns->path == NULL || ns->path[0] == '\0')
		return 0;
	if (open_ns(ns, kind_of("pid"), &fd, err) < 0)
		return -1;
	return join_one(ns, kind_of("pid"), fd, err);
}

static int write_file(const char *path, const char *data, size_t len, struct berth_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_fail_errno(err, errno, "open '%s'", path);
	/* Maps must be written in one write(2): the kernel accepts a single write per file. */
	ssize_t n = write(fd, data, len);
	if (n < 0)
		return berth_fail_errno(err, errno, "write '%s'", path);
	if ((size_t)n != len)
		return berth_fail(err, "write '%s': short write", path);
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_id_mapping *maps, size_t n,
		     struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char path[64];

	if (f == NULL)
		return berth_fail_errno(err, errno, "%s", file);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%u %u %u\n", maps[i].container_id, maps[i].host_id, maps[i].size);
	if (fclose(f) != 0)
		return berth_fail_errno(err, errno, "%s", file);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_file(path, buf, len, err);
}

int namespaces_write_id_maps(const struct oci_config *cfg, pid_t pid, struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;

	if (!ns_new(cfg, CLONE_NEWUSER))
		return 0;
	if (write_map(pid, "uid_map", lx->uid_mappings, lx->uid_mappings_len, err) < 0 ||
	    write_map(pid, "gid_map", lx->gid_mappings, lx->gid_mappings_len, err) < 0)
		return berth_wrap(err, "user namespace of %d", (int)pid);
	return 0;
}

/* Create the time namespace for ourselves: unshare() only prepares it for children, the
 * offsets are written while nobody lives in it, then setns() moves us in. */
static int create_time_ns(const struct oci_config *cfg, struct berth_error **err)
{
	const struct oci_time_offsets *to = cfg->linux_->time_offsets;
	char buf[128];
	int len = 0;

	if (unshare(CLONE_NEWTIME) < 0)
		return berth_fail_errno(err, errno, "unshare time namespace");
	if (to && to->monotonic)
		len += snprintf(buf + len, sizeof(buf) - len, "monotonic %lld %u\n",
				(long long)to->monotonic->secs, to->monotonic->nanosecs);
	if (to && to->boottime)
		len += snprintf(buf + len, sizeof(buf) - len, "boottime %lld %u\n",
				(long long)to->boottime->secs, to->boottime->nanosecs);
	if (len > 0 && write_file("/proc/self/timens_offsets", buf, (size_t)len, err) < 0)
		return berth_wrap(err, "linux.timeOffsets");
	_cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open /proc/self/ns/time_for_children");
	if (setns(fd, CLONE_NEWTIME) < 0)
		return berth_fail_errno(err, errno, "enter the new time namespace");
	return 0;
}

/* In a new user namespace our ids are still the host's (unmapped, shown as the overflow id):
 * switch to the namespace's root so files we create belong to the container's root. */
static int become_root(struct berth_error **err)
{
	if (setresgid(0, 0, 0) < 0)
		return berth_fail_errno(err, errno, "user namespace: setresgid to gid 0 (is 0 "
					"mapped in linux.gidMappings?)");
	if (setresuid(0, 0, 0) < 0)
		return berth_fail_errno(err, errno, "user namespace: setresuid to uid 0 (is 0 "
					"mapped in linux.uidMappings?)");
	return 0;
}

int namespaces_join(const struct oci_config *cfg, struct berth_error **err)
{
	int fds[N_KINDS];
	int ret = -1;

	if (cfg->linux_ == NULL)
		return 0;
	/* Open every path first: joining the mount or user namespace changes what paths mean. */
	for (size_t i = 0; i < N_KINDS; i++) {
		const struct oci_namespace *ns = find_ns(cfg, kinds[i].flag);
		fds[i] = -1;
		if (kinds[i].flag == CLONE_NEWPID || ns == NULL || ns->path == NULL ||
		    ns->path[0] == '\0')
			continue;
		if (open_ns(ns, &kinds[i], &fds[i], err) < 0)
			goto out;
	}
	for (size_t i = 0; i < N_KINDS; i++) {
		if (fds[i] < 0)
			continue;
		if (join_one(find_ns(cfg, kinds[i].flag), &kinds[i], fds[i], err) < 0)
			goto out;
		/* Right after joining the user namespace, create the others inside it. */
		if (kinds[i].flag == CLONE_NEWUSER) {
			unsigned long f = 0;
			for (size_t j = 0; j < N_KINDS; j++)
				if (kinds[j].flag != CLONE_NEWPID && kinds[j].flag != CLONE_NEWCGROUP &&
				    kinds[j].flag != CLONE_NEWTIME && ns_new(cfg, kinds[j].flag))
					f |= kinds[j].flag;
			if (f && unshare((int)f) < 0) {
				berth_fail_errno(err, errno, "unshare namespaces in the joined user "
						 "namespace");
				goto out;
			}
		}
	}
	if (find_ns(cfg, CLONE_NEWUSER) && become_root(err) < 0)
		goto out;
	if (ns_new(cfg, CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		berth_fail_errno(err, errno, "unshare cgroup namespace");
		goto out;
	}
	if (ns_new(cfg, CLONE_NEWTIME) && create_time_ns(cfg, err) < 0)
		goto out;
	ret = 0;
out:
	for (size_t i = 0; i < N_KINDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}

/* ---- sysctl ------------------------------------------------------------------------------ */

/* Which namespace owns a sysctl, as the kernel namespaces them (runc's list). */
static unsigned long sysctl_owner(const char *key)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
					   "kernel.sem",    "kernel.shmall", "kernel.shmmax",
					   "kernel.shmmni", "kernel.shm_rmid_forced" };
	for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
		if (strcmp(key, ipc[i]) == 0)
			return CLONE_NEWIPC;
	if (strncmp(key, "fs.mqueue.", 10) == 0 || strncmp(key, "fs/mqueue/", 10) == 0)
		return CLONE_NEWIPC;
	if (strncmp(key, "net.", 4) == 0 || strncmp(key, "net/", 4) == 0)
		return CLONE_NEWNET;
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return CLONE_NEWUTS;
	return 0;
}

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; a key written with '/' keeps its dots
 * (interface names such as eth0.100). */
static int sysctl_path(const char *key, char **out, struct berth_error **err)
{
	char *p = strdup(key);

	if (p == NULL)
		return berth_fail_errno(err, ENOMEM, "sysctl '%s'", key);
	if (strchr(p, '/') == NULL)
		for (char *s = p; *s; s++)
			if (*s == '.')
				*s = '/';
	/* Refuse anything that is not a plain relative path below /proc/sys. */
	if (p[0] == '/' || p[0] == '\0' || strstr(p, "//")) {
		free(p);
		return berth_fail(err, "config.json: linux.sysctl: invalid key '%s'", key);
	}
	for (char *s = p; s; s = strchr(s, '/')) {
		if (*s == '/')
			s++;
		if (strncmp(s, "..", 2) == 0 && (s[2] == '/' || s[2] == '\0')) {
			free(p);
			return berth_fail(err, "config.json: linux.sysctl: invalid key '%s'", key);
		}
	}
	*out = p;
	return 0;
}

static int check_sysctl(const struct oci_config *cfg, const char *key, struct berth_error **err)
{
	unsigned long owner = sysctl_owner(key);

	if (owner == 0)
		return berth_fail(err, "config.json: linux.sysctl: '%s' is not in a namespace the "
				  "container owns", key);
	if (find_ns(cfg, owner) == NULL)
		return berth_fail(err, "config.json: linux.sysctl: '%s' needs a %s namespace in "
				  "linux.namespaces", key, kind_of(owner == CLONE_NEWIPC ? "ipc" :
						owner == CLONE_NEWNET ? "network" : "uts")->type);
	if (owner == CLONE_NEWUTS && (strstr(key, "hostname") ? cfg->hostname : cfg->domainname))
		return berth_fail(err, "config.json: linux.sysctl: '%s' conflicts with the %s "
				  "field", key, strstr(key, "hostname") ? "hostname" : "domainname");
	return 0;
}

static int write_sysctl(int sysfd, const char *key, const char *value, struct berth_error **err)
{
	_cleanup_free_ char *rel = NULL;
	struct open_how how = { .flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };

	if (sysctl_path(key, &rel, err) < 0)
		return -1;
	_cleanup_close_ int fd = openat2_retry(sysfd, rel, &how);
	if (fd < 0)
		return berth_fail_errno(err, errno, "sysctl '%s': open /proc/sys/%s", key, rel);
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return berth_fail_errno(err, errno, "sysctl '%s': write '%s'", key, value);
	if ((size_t)n != len)
		return berth_fail(err, "sysctl '%s': short write", key);
	return 0;
}

static int apply_sysctls(const struct oci_config *cfg, struct berth_error **err)
{
	const struct oci_map *m = &cfg->linux_->sysctl;
	struct statfs sfs;

	if (m->len == 0)
		return 0;
	for (size_t i = 0; i < m->len; i++)
		if (check_sysctl(cfg, m->keys[i], err) < 0)
			return -1;
	/* Make sure /proc/sys really is procfs before writing into it. */
	_cleanup_close_ int sysfd = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sysfd < 0)
		return berth_fail_errno(err, errno, "open /proc/sys");
	if (fstatfs(sysfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return berth_fail(err, "/proc/sys is not on procfs");
	for (size_t i = 0; i < m->len; i++)
		if (write_sysctl(sysfd, m->keys[i], m->values[i], err) < 0)
			return -1;
	return 0;
}

static int check_sysctls(const struct oci_config *cfg, struct berth_error **err)
{
	if (cfg->linux_ == NULL)
		return 0;
	for (size_t i = 0; i < cfg->linux_->sysctl.len; i++) {
		_cleanup_free_ char *rel = NULL;
		if (check_sysctl(cfg, cfg->linux_->sysctl.keys[i], err) < 0 ||
		    sysctl_path(cfg->linux_->sysctl.keys[i], &rel, err) < 0)
			return -1;
	}
	return 0;
}

int namespaces_apply_settings(const struct oci_config *cfg, struct berth_error **err)
{
	if (cfg->hostname && cfg->hostname[0]) {
		if (!find_ns(cfg, CLONE_NEWUTS))
			return berth_fail(err, "config.json: hostname: needs a uts namespace");
		if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
			return berth_fail_errno(err, errno, "set hostname '%s'", cfg->hostname);
	}
	if (cfg->domainname && cfg->domainname[0]) {
		if (!find_ns(cfg, CLONE_NEWUTS))
			return berth_fail(err, "config.json: domainname: needs a uts namespace");
		if (setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
			return berth_fail_errno(err, errno, "set domainname '%s'", cfg->domainname);
	}
	if (cfg->linux_ && apply_sysctls(cfg, err) < 0)
		return -1;
	return 0;
}

bool namespaces_has(const struct oci_config *cfg, const char *type, bool *by_path)
{
	const struct ns_kind *k = kind_of(type);
	const struct oci_namespace *ns = k ? find_ns(cfg, k->flag) : NULL;

	if (by_path)
		*by_path = ns && ns->path && ns->path[0];
	return ns != NULL;
}
