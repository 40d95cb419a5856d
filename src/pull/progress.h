/*
 * Docker-like pull output: one line per layer ("2db29710123e: Pull complete"). On a terminal
 * the layer lines are redrawn in place with a progress bar; otherwise each status change is
 * one plain line, so logs and tests read the same words docker prints. --quiet prints nothing
 * here. This file must never decide anything about the pull itself.
 */
#ifndef PULL_PROGRESS_H
#define PULL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <time.h>

struct progress_layer {
	char id[13];
	char status[40];
	int64_t current, total;
};

struct progress {
	bool tty, quiet, drawn;
	struct progress_layer *layers;
	size_t len;
	struct timespec last;
};

void progress_init(struct progress *p, bool quiet);
void progress_free(struct progress *p);
/* A plain message line ("latest: Pulling from library/hello-world"), not shown when quiet. */
void progress_say(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Register a layer by digest; returns its slot. */
size_t progress_add(struct progress *p, const char *digest);
void progress_status(struct progress *p, size_t slot, const char *status);
void progress_bytes(struct progress *p, size_t slot, int64_t current, int64_t total);

#endif
