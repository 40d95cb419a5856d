/*
 * One interface over the cgroup drivers (cgroup-v2.c, cgroup-v1.c), chosen once from the
 * host's layout. The cgroup is created and configured from linux.resources before the init
 * is cloned; on v2 the init is cloned straight into it (CLONE_INTO_CGROUP), on v1 it is
 * written into each hierarchy by cgroup_enter().
 * A cgroup is named in state.json by cgroup_path() so later commands can cgroup_open() it.
 */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "container.h"

/* Create and configure the container's cgroup; c->cgroup is set on success. */
int cgroup_create(struct berth_container *c, struct berth_error **err);
/* The fd of the v2 cgroup directory for CLONE_INTO_CGROUP, or -1 when the init must be
 * moved with cgroup_enter(). */
int cgroup_clone_fd(const struct berth_cgroup *cg);
int cgroup_enter(struct berth_cgroup *cg, pid_t pid, struct berth_error **err);
/* The path recorded in state.json; cgroup_open() takes it back. */
const char *cgroup_path(const struct berth_cgroup *cg);
/* The text of /proc/self/cgroup and /proc/self/mountinfo as berth read them to find the
 * hierarchies (mountinfo is read now when that did not need it), so the container's cgroup
 * mount does not read them again. */
const char *cgroup_self_cgroup(const struct berth_cgroup *cg);
const char *cgroup_mountinfo(struct berth_cgroup *cg, struct berth_error **err);
/* The container's cgroup in the hierarchy whose controllers are `controllers`, spelled as in
 * /proc/self/cgroup ("cpu,cpuacct", "name=systemd", "" for cgroup2), or NULL when the
 * container is not put in that hierarchy (the init then stays where berth is). */
const char *cgroup_path_in(const struct berth_cgroup *cg, const char *controllers);
int cgroup_open(const char *path, struct berth_cgroup **out, struct berth_error **err);
/* Kill every process (kill --all), freeze/thaw (pause/resume), list pids (ps). */
int cgroup_kill_all(struct berth_cgroup *cg, int sig, struct berth_error **err);
int cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err);
int cgroup_is_frozen(struct berth_cgroup *cg, bool *frozen, struct berth_error **err);
int cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, struct berth_error **err);
/* Apply new resources to a live cgroup (update). */
int cgroup_update(struct berth_cgroup *cg, const struct oci_resources *r,
		  struct berth_error **err);
/* Resource usage as runc's `events --stats` reports it (its types.Stats); units are bytes
 * and nanoseconds; UINT64_MAX means "max" for limits. */
struct cgroup_blkio_entry {
	uint64_t major, minor;
	const char *op; /* "Read", "Write", ... (static strings) */
	uint64_t value;
};
struct cgroup_hugetlb_stats {
	char *page_size; /* "2MB" */
	uint64_t usage, max, failcnt;
};
struct cgroup_memory_entry {
	uint64_t limit, usage, max, failcnt;
};
struct cgroup_stats {
	uint64_t cpu_total, cpu_user, cpu_kernel;
	uint64_t *cpu_percpu;
	size_t cpu_percpu_len;
	uint64_t throttling_periods, throttled_periods, throttled_time;
	uint64_t memory_cache;
	struct cgroup_memory_entry memory_usage, memory_swap, memory_kernel, memory_kernel_tcp;
	struct oci_map memory_raw; /* memory.stat, values as decimal strings */
	uint64_t pids_current, pids_limit;
	struct cgroup_blkio_entry *io_service_bytes, *io_serviced;
	size_t io_service_bytes_len, io_serviced_len;
	struct cgroup_hugetlb_stats *hugetlb;
	size_t hugetlb_len;
};
int cgroup_stats(struct berth_cgroup *cg, struct cgroup_stats *st, struct berth_error **err);
void cgroup_stats_free(struct cgroup_stats *st);
/* OOM kills: cgroup_oom_watch() returns an fd that polls readable when one may have happened
 * (v2: inotify on memory.events; v1: an eventfd on memory.oom_control) or when the cgroup goes
 * away; cgroup_oom_read() then gives the kills since the previous call. */
int cgroup_oom_watch(struct berth_cgroup *cg, struct berth_error **err);
int cgroup_oom_read(struct berth_cgroup *cg, uint64_t *kills, struct berth_error **err);
/* Remove the cgroup (retrying while processes drain). */
int cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err);
void cgroup_free(struct berth_cgroup *cg);

#endif
