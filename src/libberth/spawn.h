/*
 * clone3 of a container's init into its namespaces and cgroup, and the handshake with it
 * (see RUNTIME-PLAN in the design: GO → HOOKS → GO → READY; the HOOKS → GO step only
 * when the config has hooks that need it). Returns once the init waits for
 * start (or, for run, has started), or with the init's own error after it has been reaped.
 */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include <stdbool.h>

#include "container.h"

struct spawned {
	pid_t pid;
	int pidfd;
	int pty_master;
};

/* What the caller does at points of the handshake; spawn.c knows nothing of the state. */
struct spawn_steps {
	/* Called once the init has its first go, so that recording the container's state
	 * overlaps the init's setup; a failure kills the init. */
	int (*record)(struct berth_container *c, int state_dirfd, pid_t pid,
		      struct berth_error **err);
	/* prestart+createRuntime in the parent while the init waits; called only when the
	 * config has such hooks: without them the init does not stop for the parent halfway. */
	int (*runtime_hooks)(struct berth_container *c, pid_t pid, struct berth_error **err);
	/* The state the hooks receive (status creating, then created for startContainer);
	 * each is called only when the config has hooks of that kind. */
	char *(*state_json)(struct berth_container *c, pid_t pid);
	char *(*created_json)(struct berth_container *c, pid_t pid);
};

/* `state_dirfd` is where the start socket is bound. With `start` (run) there is no start
 * socket: the init goes on to execve as soon as it is ready, and spawn_init returns once the
 * execve has happened, or with its error. */
int spawn_init(struct berth_container *c, int state_dirfd, const struct spawn_steps *steps,
	       bool start, struct spawned *out, struct berth_error **err);

#endif
