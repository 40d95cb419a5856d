/*
 * clone3 of a container's init into its namespaces and cgroup, and the handshake with it
 * (see RUNTIME-PLAN in the design: GO → HOOKS → GO → READY; the HOOKS → GO step only
 * when the config has hooks that need it). Returns once the init waits for
 * start, or with the init's own error after it has been reaped.
 */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include "container.h"

struct spawned {
	pid_t pid;
	int pidfd;
	int pty_master;
};

/* `state_dirfd` is where the start socket is bound. `state_json` and `created_json` give the
 * state the hooks receive (status creating, then created for startContainer) for the init's
 * pid; each is called only when the config has hooks of that kind. `runtime_hooks` runs
 * prestart+createRuntime in the parent while the init waits, and only when the config has
 * such hooks: without them the init does not stop for the parent halfway. */
int spawn_init(struct berth_container *c, int state_dirfd,
	       int (*runtime_hooks)(struct berth_container *c, pid_t pid,
				    struct berth_error **err),
	       char *(*state_json)(struct berth_container *c, pid_t pid),
	       char *(*created_json)(struct berth_container *c, pid_t pid), struct spawned *out,
	       struct berth_error **err);

#endif
