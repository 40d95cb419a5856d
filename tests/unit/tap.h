/*
 * A minimal TAP producer for the unit tests: plan, ok, is_str, is_int, is_uint, done.
 * Output follows TAP 13 as automake's tap-driver.sh reads it. Diagnostics go to stdout as
 * "# " lines so they land in the test's .log next to the failing line.
 * This header must stay dependency-free: no test framework, no allocation.
 */
#ifndef BERTH_TAP_H
#define BERTH_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

static inline void plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
}

static inline bool tap_vresult(bool pass, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	putchar('\n');
	return pass;
}

static inline bool ok(bool pass, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool ok(bool pass, const char *fmt, ...)
{
	va_list ap;
	bool r;

	va_start(ap, fmt);
	r = tap_vresult(pass, fmt, ap);
	va_end(ap);
	return r;
}

/* NULL is a value here: is_str(NULL, NULL) passes, is_str("x", NULL) fails. */
static inline bool is_str(const char *got, const char *want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool is_str(const char *got, const char *want, const char *fmt, ...)
{
	bool pass = (got == NULL || want == NULL) ? got == want : strcmp(got, want) == 0;
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(pass, fmt, ap);
	va_end(ap);
	if (!pass) {
		printf("#   got:  %s%s%s\n", got ? "'" : "", got ? got : "NULL", got ? "'" : "");
		printf("#   want: %s%s%s\n", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
	}
	return pass;
}

static inline bool is_int(long long got, long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return got == want;
}

/* For uint64 values above INT64_MAX, which is_int cannot represent. */
static inline bool is_uint(unsigned long long got, unsigned long long want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline bool is_uint(unsigned long long got, unsigned long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got:  %llu\n#   want: %llu\n", got, want);
	return got == want;
}

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* Prints the plan when none was given up front; the exit status is 0 only if every test
 * ran and passed. */
static inline int done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_run != tap_planned)
		printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
	fflush(stdout);
	return tap_failed == 0 && (tap_planned < 0 || tap_run == tap_planned) ? 0 : 1;
}

#endif
