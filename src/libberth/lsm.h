/*
 * process.apparmorProfile and process.selinuxLabel: checked against the LSMs the host runs
 * (a label for an absent LSM is an error, never ignored) and applied for the next execve
 * through a verified procfs path (thread-self.h).
 */
#ifndef BERTH_LSM_H
#define BERTH_LSM_H

#include "container.h"

/* Fail when `p` asks for an LSM this host does not run. Reads the host's /sys: call it before
 * pivot_root (in the parent or the child's first steps). */
int lsm_check(const struct oci_process *p, struct berth_error **err);
/* Set the profile/label the next execve switches to. */
int lsm_apply(const struct oci_process *p, struct berth_error **err);

#endif
