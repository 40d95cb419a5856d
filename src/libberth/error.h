/*
 * One error type for all of libberth: an errno and a message chain built on the way up
 * ("create: mount 'proc' at '/proc': Operation not permitted"). Fallible functions return a
 * negative value and fill a `struct berth_error **`; callers add context with berth_wrap().
 * This file must never print or exit: only the CLI decides how an error is shown.
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

struct berth_error {
	int errnum; /* errno of the root cause, 0 when there is none */
	char *msg;
};

/* Set *err to the formatted message; returns -1. */
int berth_fail(struct berth_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errnum)" and recording errnum; returns -1. */
int berth_fail_errno(struct berth_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, recording errnum without adding its text (for messages that already say it). */
int berth_fail_code(struct berth_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the existing message with "<context>: "; returns -1. */
int berth_wrap(struct berth_error **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Take ownership of a malloc'ed message (e.g. from libocispec); returns -1. */
int berth_fail_take(struct berth_error **err, int errnum, char *msg);
void berth_error_free(struct berth_error *err);

#define berth_cleanup_error __attribute__((cleanup(berth_error_freep)))
static inline void berth_error_freep(struct berth_error **err)
{
	berth_error_free(*err);
	*err = 0;
}

#endif
