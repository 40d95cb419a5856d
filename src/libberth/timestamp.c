/*
 * UTC calendar arithmetic for timestamp.h: days since the epoch to a proleptic Gregorian date
 * (Howard Hinnant's civil_from_days), with no time-zone files involved.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "timestamp.h"

void rfc3339_format(char *buf, const struct timespec *ts, bool nanoseconds)
{
	int64_t days = ts->tv_sec / 86400, secs = ts->tv_sec % 86400;
	int64_t era, doe, yoe, doy, mp, year;
	unsigned month, day;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era. */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = yoe + era * 400 + (month <= 2);
	if (nanoseconds)
		snprintf(buf, RFC3339_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%09ldZ", (long long)year,
			 month, day, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
			 (unsigned)(secs % 60), ts->tv_nsec);
	else
		snprintf(buf, RFC3339_MAX, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)year, month,
			 day, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
			 (unsigned)(secs % 60));
}
