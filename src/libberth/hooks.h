/*
 * OCI hooks: each runs with the container state JSON on stdin, its args and env, and a
 * timeout. Whether a failure aborts the operation is the caller's decision (runtime.md):
 * prestart, createRuntime, createContainer and startContainer failures abort; poststart and
 * poststop failures are warnings.
 * hooks_run reaps its own children by pidfd: a caller must not reap with waitpid(-1) or
 * SIGCHLD=SIG_IGN while it runs.
 */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "container.h"

/* Run hooks[0..n) in order; `kind` is the JSON name ("createRuntime") used in messages:
 * "hooks.createRuntime[1] '/usr/bin/x': exited with status 2, stderr: ...". */
int hooks_run(const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
	      struct berth_error **err);
/* Check every hook of config.json (absolute path, positive timeout) without running any:
 * call it while validating, before any system change. NULL is fine. */
/* poststart/poststop: run every hook even when one fails ("the remaining hooks and lifecycle
 * continue as if the hook had succeeded", runtime.md); each failure is a warning on stderr. */
void hooks_run_warn(const struct oci_hook *hooks, size_t n, const char *kind,
		    const char *state_json);
int hooks_check(const struct oci_hooks *hooks, struct berth_error **err);

#endif
