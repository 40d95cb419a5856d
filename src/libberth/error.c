/*
 * The error chain. Messages are lower-case and name the object they concern; context is
 * prefixed as the error travels up. Allocation failure while building a message falls back to
 * a static text rather than losing the error.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static char out_of_memory[] = "out of memory";

static void set_message(struct berth_error **err, int errnum, char *msg)
{
	if (err == NULL) {
		if (msg != out_of_memory)
			free(msg);
		return;
	}
	berth_error_free(*err);
	*err = malloc(sizeof(**err));
	if (*err == NULL) {
		if (msg != out_of_memory)
			free(msg);
		return;
	}
	(*err)->errnum = errnum;
	(*err)->msg = msg ? msg : out_of_memory;
}

static char *vformat(const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return NULL;
	return msg;
}

int berth_fail(struct berth_error **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(err, 0, vformat(fmt, ap));
	va_end(ap);
	return -1;
}

int berth_fail_errno(struct berth_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *head, *msg = NULL;

	va_start(ap, fmt);
	head = vformat(fmt, ap);
	va_end(ap);
	if (head && asprintf(&msg, "%s: %s", head, strerror(errnum)) < 0)
		msg = NULL;
	free(head);
	set_message(err, errnum, msg);
	return -1;
}

int berth_fail_code(struct berth_error **err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_message(err, errnum, vformat(fmt, ap));
	va_end(ap);
	return -1;
}

int berth_wrap(struct berth_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	if (ctx == NULL)
		return -1;
	if (asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0) {
		if ((*err)->msg != out_of_memory)
			free((*err)->msg);
		(*err)->msg = msg;
	}
	free(ctx);
	return -1;
}

int berth_fail_take(struct berth_error **err, int errnum, char *msg)
{
	set_message(err, errnum, msg);
	return -1;
}

void berth_error_free(struct berth_error *err)
{
	if (err == NULL)
		return;
	if (err->msg != out_of_memory)
		free(err->msg);
	free(err);
}
