/*
 * What cgroup.c shares with its drivers (cgroup-v1.c, cgroup-v2.c, cgroup-bpf.c) and helpers
 * (cgroup-fs.c, cgroup-devices.c). Nothing outside the cgroup files may include this: the rest
 * of berth sees only cgroup.h.
 *
 * A container's cgroup is a list of directories, one per hierarchy it lives in: one on pure
 * v2, one per v1 hierarchy (plus the unified one) on hybrid and v1 hosts.
 */
#ifndef BERTH_CGROUP_INTERNAL_H
#define BERTH_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "runtime.h"

enum cgroup_layout {
	CGROUP_LAYOUT_V2,     /* cgroup2 at /sys/fs/cgroup */
	CGROUP_LAYOUT_HYBRID, /* v1 controllers plus an (often empty) cgroup2 */
	CGROUP_LAYOUT_V1,     /* v1 only */
};

/* One hierarchy the container lives in. */
struct cgroup_dir {
	char *controllers; /* as in /proc/self/cgroup: "memory", "cpu,cpuacct", "name=systemd",
			      "" for cgroup2 */
	char *mount;       /* where that hierarchy is mounted */
	char *path;        /* the container's cgroup, relative to the hierarchy's root */
	char *dir;         /* mount + path */
	int fd;            /* O_DIRECTORY fd of dir, -1 when it does not exist, CGROUP_FD_LATER
			      until cgroup_dir_fd() first needs it (cgroup_open) */
};
#define CGROUP_FD_LATER (-2)

struct berth_cgroup {
	enum cgroup_layout layout;
	char *path; /* what cgroup_path() returns */
	struct cgroup_dir *dirs;
	size_t n_dirs;
	/* OOM watch (cgroup_oom_watch): the pollable fd, the v1 oom_control fd it is bound
	 * to, and the v2 oom_kill count already reported. */
	int oom_fd, oom_control_fd;
	uint64_t oom_seen;
	/* Directories made by cgroup_create, in creation order, removed again when it fails. */
	char **created;
	size_t n_created;
	/* /proc/self/cgroup and /proc/self/mountinfo as read to find the hierarchies (mountinfo
	 * NULL when not needed: pure v2), kept for cgroup_self_cgroup()/cgroup_mountinfo(). */
	char *self_cgroup, *mountinfo;
};

/* One device cgroup rule after defaults are added: the OCI order, last match wins. */
#define CGROUP_DEV_MKNOD 1u
#define CGROUP_DEV_READ 2u
#define CGROUP_DEV_WRITE 4u
struct cgroup_dev_rule {
	bool allow;
	char type;     /* 'a', 'b' or 'c' */
	int64_t major; /* -1: any */
	int64_t minor; /* -1: any */
	unsigned access;
};

/* ---- cgroup-fs.c: file helpers; messages name the file ---------------------------------- */
/* d->fd, opening dir the first time it is needed; -1 with errno set (ENOENT: no such cgroup). */
int cgroup_dir_fd(const struct cgroup_dir *d);
struct cgroup_dir *cgroup_find_dir(struct berth_cgroup *cg, const char *controller);
struct cgroup_dir *cgroup_v2_dir(struct berth_cgroup *cg);
bool cgroup_has_file(const struct cgroup_dir *d, const char *file);
/* openat(d->fd, file, flags | O_CLOEXEC); the message names the file. */
int cgroup_open_file(const struct cgroup_dir *d, const char *file, int flags,
		     struct berth_error **err);
int cgroup_write(const struct cgroup_dir *d, const char *file, const char *value,
		 struct berth_error **err);
int cgroup_writef(const struct cgroup_dir *d, const char *file, struct berth_error **err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* resources.rdma → rdma.max (the same on both hierarchies). */
int cgroup_apply_rdma(const struct cgroup_dir *d, const struct oci_resources *r,
		      struct berth_error **err);
/* Read a whole file, trailing newline removed. */
int cgroup_read(const struct cgroup_dir *d, const char *file, char **out,
		struct berth_error **err);
int cgroup_read_u64(const struct cgroup_dir *d, const char *file, uint64_t *out,
		    struct berth_error **err);
/* Value of `key` in a flat-keyed file ("key value" lines: memory.stat, cgroup.events). */
int cgroup_read_key(const struct cgroup_dir *d, const char *file, const char *key,
		    uint64_t *out, struct berth_error **err);
/* mkdir -p dir; each directory made is appended to cg->created. 1 when dir itself was made,
 * 0 when it existed. */
int cgroup_mkdir_p(struct berth_cgroup *cg, const char *dir, struct berth_error **err);
/* Remove dir and every cgroup below it, retrying while their processes exit. */
int cgroup_rmdir_tree(const char *dir, struct berth_error **err);
/* Append the pids in <dir>/cgroup.procs and in every cgroup below it. */
int cgroup_collect_pids(const char *dir, pid_t **pids, size_t *n, struct berth_error **err);
/* How many bytes "2MB", "1GB", "64KB" means (hugepage sizes); -1 when malformed. */
int64_t cgroup_parse_page_size(const char *s);

/* ---- cgroup-devices.c -------------------------------------------------------------------- */
/* resources.devices, then the devices every container gets (runc's list); no linux.devices. */
int cgroup_device_rules(const struct oci_config *cfg, struct cgroup_dev_rule **rules,
			size_t *n, struct berth_error **err);

/* ---- cgroup-bpf.c: the v2 device filter ---------------------------------------------------- */
int cgroup_bpf_apply_devices(int cgroup_fd, const struct cgroup_dev_rule *rules, size_t n,
			     struct berth_error **err);

/* ---- drivers ------------------------------------------------------------------------------- */
/* Validation that needs no system change: called before any directory is made. */
int cgroup_v1_validate(struct berth_cgroup *cg, const struct oci_resources *r,
		       struct berth_error **err);
int cgroup_v2_validate(const struct oci_resources *r, struct berth_error **err);
/* Make the directories (v2: enabling controllers in the parents). */
int cgroup_v1_make(struct berth_cgroup *cg, struct berth_error **err);
int cgroup_v2_make(struct berth_cgroup *cg, struct berth_error **err);
/* Write resources; `rules` is NULL on update (device rules stay as created). */
int cgroup_v1_apply(struct berth_cgroup *cg, const struct oci_resources *r,
		    const struct cgroup_dev_rule *rules, size_t n_rules, bool update,
		    struct berth_error **err);
int cgroup_v2_apply(struct berth_cgroup *cg, const struct oci_resources *r,
		    const struct cgroup_dev_rule *rules, size_t n_rules, bool update,
		    struct berth_error **err);
int cgroup_v1_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err);
int cgroup_v2_freeze(struct cgroup_dir *d, bool frozen, struct berth_error **err);

/* The cpu.shares → cpu.weight conversion of runc ≥ 1.3.2 and crun ≥ 1.23 (cgroup-weight.c). */
uint64_t cgroup_shares_to_weight(uint64_t shares);

#endif
