/*
 * Progress output. A terminal gets live bars redrawn at most ten times a second; anything
 * else gets one line per status change and no byte counts, so output stays small and stable.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

void progress_init(struct progress *p, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->quiet = quiet;
	p->tty = !quiet && isatty(STDOUT_FILENO);
}

void progress_free(struct progress *p)
{
	free(p->layers);
	p->layers = NULL;
	p->len = 0;
}

void progress_say(struct progress *p, const char *fmt, ...)
{
	va_list ap;

	if (p->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	p->drawn = false; /* the layer block, if any, is now above this line */
}

size_t progress_add(struct progress *p, const char *digest)
{
	struct progress_layer *n = realloc(p->layers, (p->len + 1) * sizeof(*n));
	const char *hex = strchr(digest, ':');

	if (n == NULL)
		return (size_t)-1;
	p->layers = n;
	memset(&n[p->len], 0, sizeof(n[p->len]));
	snprintf(n[p->len].id, sizeof(n[p->len].id), "%.12s", hex ? hex + 1 : digest);
	return p->len++;
}

static void human(char *buf, size_t len, int64_t n)
{
	if (n >= 1000 * 1000 * 1000)
		snprintf(buf, len, "%.2fGB", n / 1e9);
	else if (n >= 1000 * 1000)
		snprintf(buf, len, "%.1fMB", n / 1e6);
	else if (n >= 1000)
		snprintf(buf, len, "%.1fkB", n / 1e3);
	else
		snprintf(buf, len, "%dB", (int)n);
}

static void redraw(struct progress *p)
{
	size_t i;

	if (p->drawn)
		printf("\033[%zuA", p->len);
	for (i = 0; i < p->len; i++) {
		struct progress_layer *l = &p->layers[i];
		printf("\033[2K\r%s: %s", l->id, l->status);
		if (strcmp(l->status, "Downloading") == 0 && l->total > 0) {
			char cur[16], tot[16], bar[51];
			int w = (int)(50 * l->current / l->total);
			if (w > 50)
				w = 50;
			memset(bar, ' ', 50);
			memset(bar, '=', w);
			if (w < 50)
				bar[w] = '>';
			bar[50] = '\0';
			human(cur, sizeof(cur), l->current);
			human(tot, sizeof(tot), l->total);
			printf(" [%s] %s/%s", bar, cur, tot);
		}
		putchar('\n');
	}
	fflush(stdout);
	p->drawn = true;
	clock_gettime(CLOCK_MONOTONIC, &p->last);
}

void progress_status(struct progress *p, size_t slot, const char *status)
{
	if (p->quiet || slot >= p->len)
		return;
	snprintf(p->layers[slot].status, sizeof(p->layers[slot].status), "%s", status);
	if (p->tty) {
		redraw(p);
	} else if (strcmp(status, "Downloading") != 0) {
		/* Like docker: plain output shows status changes, not transfer progress. */
		printf("%s: %s\n", p->layers[slot].id, status);
		fflush(stdout);
	}
}

void progress_bytes(struct progress *p, size_t slot, int64_t current, int64_t total)
{
	struct timespec now;

	if (!p->tty || slot >= p->len)
		return;
	p->layers[slot].current = current;
	p->layers[slot].total = total;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000 + (now.tv_nsec - p->last.tv_nsec) / 1000000 < 100)
		return;
	redraw(p);
}
