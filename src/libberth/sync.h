/*
 * Messages between berth and a container's init (or an exec'd process) over a
 * SOCK_SEQPACKET socketpair: one datagram per message, optionally carrying an fd.
 * Errors in the child travel here so the parent reports the real cause.
 */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include "error.h"

enum sync_type {
	SYNC_GO = 1,    /* parent → child: id maps and devices are in place, go on */
	SYNC_READY,     /* child → parent: set up, now waiting for start */
	SYNC_ERROR,     /* child → parent: errnum + message, then the child exits */
	SYNC_PTY,       /* child → parent: the pty master (run/exec without a console socket) */
	SYNC_EXECED,    /* never sent: EOF on the socket means the child exec'd */
};

int sync_send(int sock, enum sync_type type, int errnum, const char *text, int fd);
/* Receives one message; *text is malloc'ed (may be NULL); *fd is -1 without one.
 * Returns 0 on EOF (the peer closed: exec'd or died), 1 on a message, -1 on error. */
int sync_recv(int sock, enum sync_type *type, int *errnum, char **text, int *fd);
/* In the child: send the error and leave. */
void sync_die(int sock, struct berth_error *err) __attribute__((noreturn));

#endif
