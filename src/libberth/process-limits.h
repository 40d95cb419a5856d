/*
 * The per-process settings applied while the init still holds every privilege:
 * process.rlimits, process.oomScoreAdj, linux.personality and the session keyring.
 * Each has a check (no system change, usable in the parent) and an apply step.
 */
#ifndef BERTH_PROCESS_LIMITS_H
#define BERTH_PROCESS_LIMITS_H

#include "container.h"

int rlimits_check(const struct oci_process *p, struct berth_error **err);
int rlimits_apply(const struct oci_process *p, struct berth_error **err);
int oom_score_adj_check(const struct oci_process *p, struct berth_error **err);
int oom_score_adj_apply(const struct oci_process *p, struct berth_error **err);
int personality_check(const struct oci_config *cfg, struct berth_error **err);
int personality_apply(const struct oci_config *cfg, struct berth_error **err);
/* Join a fresh session keyring "_ses.<id>" (runc's name) unless --no-new-keyring. */
int session_keyring_join(const struct berth_container *c, struct berth_error **err);

#endif
