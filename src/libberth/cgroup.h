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
int cgroup_open(const char *path, struct berth_cgroup **out, struct berth_error **err);
/* Kill every process (kill --all), freeze/thaw (pause/resume), list pids (ps). */
int cgroup_kill_all(struct berth_cgroup *cg, int sig, struct berth_error **err);
int cgroup_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err);
int cgroup_is_frozen(struct berth_cgroup *cg, bool *frozen, struct berth_error **err);
int cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, struct berth_error **err);
/* Apply new resources to a live cgroup (update). */
int cgroup_update(struct berth_cgroup *cg, const struct oci_resources *r,
		  struct berth_error **err);
/* Remove the cgroup (retrying while processes drain). */
int cgroup_destroy(struct berth_cgroup *cg, struct berth_error **err);
void cgroup_free(struct berth_cgroup *cg);

#endif
