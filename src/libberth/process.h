/*
 * The container's process: everything between "the namespaces are joined" and execve.
 * process_prepare() runs while the init still has every privilege: rlimits, oomScoreAdj,
 * linux.personality, scheduler, ioPriority, the session keyring.
 * process_exec() is the last step: groups, gid, uid (keeping capabilities across the switch),
 * the five capability sets, noNewPrivileges, umask, cwd (after pivot_root, never through a
 * magic link: CVE-2024-21626), every fd but stdio and --preserve-fds marked close-on-exec,
 * seccomp (seccomp_load_filter) last, then execve with the container's PATH. It returns only
 * on failure.
 * Shared by the init (create) and by exec.
 */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include <stdbool.h>

#include "container.h"

/* Check `p` (and cfg's linux.personality) without changing anything: call it in the parent
 * before any system change. Messages name the field ("process.rlimits[1]: ..."). Also checks
 * that berth holds every capability asked for and that a requested LSM is enabled. */
int process_validate(const struct oci_config *cfg, const struct oci_process *p,
		     struct berth_error **err);
/* In the child, after namespaces_join/apply_settings, before rootfs_prepare (or, for exec,
 * after joining the namespaces). Calls process_validate first. */
int process_prepare(struct berth_container *c, const struct oci_process *p,
		    struct berth_error **err);
/* exec only (the spec: "not applicable to the container's init process"): apply
 * process.execCPUAffinity.initial (final = false) in the process that is about to join the
 * cgroup, and .final (final = true) once it is in it. No-op when the list is absent. */
int process_exec_affinity(const struct oci_process *p, bool final, struct berth_error **err);
/* The init only, after rootfs_prepare and before rootfs_finalize (root.readonly): create
 * process.cwd (mode 0755) inside the root like runc does, without following magic links. */
int process_create_cwd(const struct oci_process *p, struct berth_error **err);
/* After pivot_root: fail now, with runc's words, when args[0] cannot be found or executed
 * (`exec: "foo": executable file not found in $PATH`), so `create` reports it as runc does.
 * err->errnum is ENOENT (docker maps it to 127) or EACCES (126). */
int process_check_executable(const struct oci_process *p, struct berth_error **err);
/* Never returns on success. err->errnum is ENOENT or EACCES for a missing or unexecutable
 * program (exit 127 / 126 in docker's terms). */
int process_exec(struct berth_container *c, const struct oci_process *p,
		 struct berth_error **err);

#endif
