/*
 * The operations the CLI calls, one per runtime-spec operation plus runc's extras.
 * Each takes the container id and the options from the command line; errors come back
 * worded as runc words them, since clients match on the text.
 */
#ifndef BERTH_LIFECYCLE_H
#define BERTH_LIFECYCLE_H

#include <stdio.h>

#include "container.h"
#include "state.h"

/* create: returns once the init waits for start. For run, *init and *pty (or NULL) let the
 * caller start and wait on it; create itself passes NULL. */
struct created_init {
	bool start;     /* in: start the process as soon as it is ready (run) */
	pid_t pid;
	int pidfd;
	int pty_master; /* -1 unless terminal without --console-socket */
};
int container_create(const char *id, const struct berth_options *o, struct created_init *init,
		     struct berth_error **err);
int container_start(const char *id, const struct berth_options *o, struct berth_error **err);
int container_kill(const char *id, const struct berth_options *o, int sig, bool all,
		   struct berth_error **err);
int container_delete(const char *id, const struct berth_options *o, bool force,
		     struct berth_error **err);
/* Fill a runtime-spec state (status computed live). */
int container_state(const char *id, const struct berth_options *o, struct oci_state **out,
		    struct berth_error **err);
/* All containers under the root, as states. */
int container_list(const struct berth_options *o, struct oci_state ***out, size_t *n,
		   struct berth_error **err);
int container_pids(const char *id, const struct berth_options *o, pid_t **pids, size_t *n,
		   struct berth_error **err);
int container_pause(const char *id, const struct berth_options *o, bool pause,
		    struct berth_error **err);

/* Wait for `pid` (a child of ours, via its pidfd), forwarding signals; returns the exit
 * code the shell convention gives: status, or 128+signal. */
int wait_forwarding_signals(pid_t pid, int pidfd, int pty_master, struct berth_error **err);

/* Parse a signal given as a name (KILL, SIGKILL) or a number. */
int parse_signal(const char *s);

/* exec: run `p` in the container. Returns the process's exit code (128+signal), or with
 * detach 0 once it started. */
/* A copy of the container's process, the base `exec ID CMD...` starts from (as runc). */
int container_process_template(const char *id, const struct berth_options *o,
			       struct oci_process **out, struct berth_error **err);
int container_exec(const char *id, const struct berth_options *o, struct oci_process *p,
		   struct berth_error **err);

#endif
