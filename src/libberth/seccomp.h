/*
 * linux.seccomp: compiled with libseccomp in the parent before the clone (so errors surface
 * from create and compiled filters can be cached by content hash), loaded by the init with
 * seccomp(2) as the very last step before execve.
 */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include "container.h"

/* Compile c->config's linux.seccomp (nothing when absent); sets c->seccomp. */
int seccomp_compile(struct berth_container *c, struct berth_error **err);
/* In the child, last step before execve. */
int seccomp_load(struct berth_container *c, struct berth_error **err);
void seccomp_free(struct berth_seccomp *s);

#endif
