/*
 * What libocispec's parser (parse.c), generator (generate.c) and the freeing and map code
 * (walker.c) share. Internal to libocispec: nothing outside libocispec/ includes it.
 */
#ifndef OCISPEC_WALKER_H
#define OCISPEC_WALKER_H

#include <yajl/yajl_parse.h>

#include "ocispec.h"

#define AT(base, off) ((char *)(base) + (off))

/* The size of one element of an array field. */
size_t oci_elem_size(const struct oci_field *f);

/* yajl parser callbacks that replay every event into the yajl_gen passed as their context:
 * how an OCI_JSON value is kept as compact text and written back out. */
extern const yajl_callbacks oci_replay_callbacks;

#endif
