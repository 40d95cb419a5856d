/*
 * RFC 3339 timestamps in UTC for state.json and log lines. glibc's gmtime_r runs tzset, which
 * opens and parses /etc/localtime on every process start; a UTC date needs no time zone.
 */
#ifndef BERTH_TIMESTAMP_H
#define BERTH_TIMESTAMP_H

#include <stdbool.h>
#include <time.h>

#define RFC3339_MAX 64 /* room for any 64-bit year */

/* Format ts as YYYY-MM-DDTHH:MM:SS[.nnnnnnnnn]Z into buf (RFC3339_MAX bytes). */
void rfc3339_format(char *buf, const struct timespec *ts, bool nanoseconds);

#endif
