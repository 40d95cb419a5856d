/*
 * OCI hooks: each runs with the container state JSON on stdin, its args and env, and a
 * timeout. Whether a failure aborts the operation is the caller's decision (runtime.md).
 */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "container.h"

int hooks_run(const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
	      struct berth_error **err);

#endif
