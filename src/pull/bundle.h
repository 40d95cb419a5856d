/*
 * `bundle`: unpack an image from the store into DIR/rootfs and write DIR/config.json from the
 * image config merged into berth's default spec (berth_default_spec(), what `berth spec`
 * writes), with process.terminal false. Extra arguments replace Cmd as `docker run IMAGE ARGS` does.
 * This file must never talk to a network.
 */
#ifndef PULL_BUNDLE_H
#define PULL_BUNDLE_H

#include <stddef.h>

#include "error.h"
#include "image.h"
#include "store.h"

int bundle_create(struct store *st, const struct oci_descriptor *manifest, const char *dir,
		  char **args, size_t nargs, struct berth_error **err);

#endif
