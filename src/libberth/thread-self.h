/*
 * Opening a file of the calling thread under /proc without trusting the mount table: the
 * container (or a joined mount namespace) may have mounted something over /proc or over the
 * very file berth means to write (CVE-2019-19921 class). Only procfs files may come back.
 */
#ifndef BERTH_THREAD_SELF_H
#define BERTH_THREAD_SELF_H

#include "error.h"

/* Open /proc/thread-self/<subpath> with `flags`, refusing any mount crossing, magic link or
 * non-procfs file. Returns the fd or -1 with *err naming the path. */
int thread_self_open(const char *subpath, int flags, struct berth_error **err);
/* Write `value` (no newline needed) to /proc/thread-self/<subpath> in one write(2). */
int thread_self_write(const char *subpath, const char *value, struct berth_error **err);

#endif
