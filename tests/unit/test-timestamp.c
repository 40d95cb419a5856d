/*
 * rfc3339_format (src/libberth/timestamp.c) against glibc's gmtime_r + strftime, over the
 * calendar's edge cases (epoch, leap days, century rules, before 1970, far future) and a
 * sweep of one instant every ~11 days for 600 years.
 */
#include "config.h"

#include <stdlib.h>

#include "tap.h"
#include "timestamp.h"

static void expected(char *buf, size_t size, time_t t, long nsec, bool nanos)
{
	struct tm tm;
	char date[64];

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (nanos)
		snprintf(buf, size, "%s.%09ldZ", date, nsec);
	else
		snprintf(buf, size, "%sZ", date);
}

static bool matches(time_t t, long nsec, bool nanos, char *got, char *want)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = nsec };

	rfc3339_format(got, &ts, nanos);
	expected(want, 128, t, nsec, nanos);
	return strcmp(got, want) == 0;
}

int main(void)
{
	static const time_t edges[] = {
		0, -1, 1, 86399, 86400, -86400, -86401,
		951782400,  /* 2000-02-29 */
		951868800,  /* 2000-03-01 */
		4107542400, /* 2100-03-01 (2100 is not a leap year) */
		-2208988800, /* 1900-01-01 */
		1709164800, /* 2024-02-29 */
		253402300799, /* 9999-12-31T23:59:59 */
	};
	char got[RFC3339_MAX], want[128];
	size_t i, bad = 0;
	time_t t;

	plan(4);
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if (!matches(edges[i], 123456789, true, got, want) && bad++ == 0)
			printf("# %lld: got %s, want %s\n", (long long)edges[i], got, want);
	ok(bad == 0, "edge dates match gmtime_r (%zu mismatches)", bad);
	bad = 0;
	for (t = -6311433600LL; t < 12623040000LL; t += 999983)
		if (!matches(t, 0, true, got, want) && bad++ == 0)
			printf("# %lld: got %s, want %s\n", (long long)t, got, want);
	ok(bad == 0, "a sweep from 1770 to 2370 matches gmtime_r (%zu mismatches)", bad);
	ok(matches(1764417600, 5, false, got, want), "without nanoseconds: %s", got);
	is_str(got, "2025-11-29T12:00:00Z", "a known instant");
	return done();
}
