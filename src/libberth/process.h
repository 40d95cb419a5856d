/*
 * The container's process: everything between "the rootfs is ready" and execve.
 * process_prepare() runs while the init still has every privilege: rlimits, oomScoreAdj,
 * personality, scheduler, ioPriority, execCPUAffinity.initial, the session keyring.
 * process_exec() is the last step: groups, gid, uid (keeping capabilities across the switch),
 * the five capability sets, noNewPrivileges, umask, cwd (after pivot_root: CVE-2024-21626),
 * closing every fd but stdio and --preserve-fds, seccomp (seccomp.h) last, then execve with
 * the container's PATH. It returns only on failure.
 * Shared by the init (create) and by exec.
 */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include "container.h"

int process_prepare(struct berth_container *c, const struct oci_process *p,
		    struct berth_error **err);
int process_exec(struct berth_container *c, const struct oci_process *p,
		 struct berth_error **err);

#endif
