/*
 * linux.seccomp: compiled with libseccomp in the parent before the clone (so errors surface
 * from create and compiled filters can be cached by content hash), loaded by the init with
 * seccomp(2) as the very last step before execve.
 *
 * Order in the init when the profile uses SCMP_ACT_NOTIFY: seccomp_connect_listener() while
 * the host's filesystem and /proc are still visible (before rootfs_prepare), then
 * seccomp_load_filter() last, which loads the filter and sends the container process state
 * and the notify fd to the agent (not "seccomp_load": libseccomp exports that name).
 * The listener socket is CLOEXEC: whatever closes fds before the load must mark them
 * CLOEXEC (close_range CLOSE_RANGE_CLOEXEC) rather than close them, or skip
 * seccomp_listener_fd().
 */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include "container.h"

/* Compile c->config's linux.seccomp (nothing when absent); sets c->seccomp. Validates the
 * whole profile; unknown syscall names are skipped with a warning on stderr. With
 * c->opts->root set, compiled filters are cached under <root>/seccomp-cache/. */
int seccomp_compile(struct berth_container *c, struct berth_error **err);
/* In the child, before pivot_root: when the profile notifies, connect to listenerPath and
 * prepare the container process state (status "creating" when c->pid is 0, i.e. the init;
 * "running" with state.pid = c->pid for exec). No-op otherwise or when c->seccomp is NULL. */
int seccomp_connect_listener(struct berth_container *c, struct berth_error **err);
/* The connected listener socket, or -1. */
int seccomp_listener_fd(const struct berth_seccomp *s);
/* In the child, last step before execve; sets no_new_privs itself when the process lacks
 * CAP_SYS_ADMIN. No-op when c->seccomp is NULL. */
int seccomp_load_filter(struct berth_container *c, struct berth_error **err);
void seccomp_free(struct berth_seccomp *s);

/* linux.seccomp of the features document (features-linux.md): actions, operators and
 * architectures libseccomp knows, known flags and those the running kernel accepts.
 * Free with oci_free() as part of the features document. */
int seccomp_features(struct oci_features_seccomp **out, struct berth_error **err);

#endif
