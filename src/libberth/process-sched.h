/*
 * Where and how the container's process runs: process.scheduler (sched_setattr),
 * process.ioPriority (ioprio_set) and process.execCPUAffinity (sched_setaffinity).
 * Each has a check (no system change) and an apply step for the calling thread.
 */
#ifndef BERTH_PROCESS_SCHED_H
#define BERTH_PROCESS_SCHED_H

#include <stdbool.h>

#include "container.h"

int scheduler_check(const struct oci_process *p, struct berth_error **err);
int scheduler_apply(const struct oci_process *p, struct berth_error **err);
int io_priority_check(const struct oci_process *p, struct berth_error **err);
int io_priority_apply(const struct oci_process *p, struct berth_error **err);
int affinity_check(const struct oci_process *p, struct berth_error **err);
/* execCPUAffinity.final when `final`, else .initial; nothing when that list is empty. */
int affinity_apply(const struct oci_process *p, bool final, struct berth_error **err);

#endif
