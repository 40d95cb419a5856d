/*
 * The seccomp agent protocol (config-linux.md "The Container Process State"): connect to
 * listenerPath, send the container process state JSON with the notify fd in SCM_RIGHTS,
 * close the connection. Used by seccomp.c only.
 */
#ifndef BERTH_SECCOMP_NOTIFY_H
#define BERTH_SECCOMP_NOTIFY_H

#include <stddef.h>

#include "container.h"

/* A connected, CLOEXEC AF_UNIX SOCK_STREAM socket to `path`. */
int listener_connect(const char *path, struct berth_error **err);
/* The container process state of the calling process (its pid as the runtime sees it). */
int listener_state(const struct berth_container *c, char **json, size_t *len,
			 struct berth_error **err);
/* Send `json` with `notify_fd` attached to the first sendmsg. */
int listener_send(int sock, const char *json, size_t len, int notify_fd,
			struct berth_error **err);

#endif
