/*
 * The `pull` operation: resolve a reference to a manifest (choosing the platform from an index
 * or manifest list), fetch what the store lacks, verify everything, and name the image in the
 * store. Shared by `pull` and by `bundle` when the image is missing.
 * This file must never unpack anything.
 */
#ifndef PULL_PULL_H
#define PULL_PULL_H

#include <stdbool.h>

#include "error.h"
#include "progress.h"
#include "reference.h"
#include "registry.h"
#include "store.h"

struct pull_opts {
	struct registry_opts reg;
	const char *platform; /* "os/arch[/variant]", NULL for this machine's */
	bool quiet;
	const char *mirrors[4]; /* tried in order for docker.io images before docker.io itself */
	size_t nmirrors;
};

int pull_image(const struct pull_opts *opts, struct store *st, const struct image_ref *ref,
	       struct berth_error **err);

/* This machine's platform in image-spec words ("linux", "amd64", NULL or "v7"). */
void host_platform(const char **os, const char **arch, const char **variant);

#endif
