/*
 * `images` and `rmi`: reading and pruning the store as `docker images` and `docker rmi` do.
 * This file must never talk to a network.
 */
#ifndef PULL_IMAGES_H
#define PULL_IMAGES_H

#include <stdbool.h>

#include "error.h"
#include "store.h"

int images_list(struct store *st, bool quiet, struct berth_error **err);
/* `name` is a reference (resolved with default_registry) or an image ID prefix. */
int images_remove(struct store *st, const char *name, const char *default_registry,
		  struct berth_error **err);

#endif
