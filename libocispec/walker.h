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

/* Deeper than any document the parser accepts (256) with room to spare. */
#define OCI_EMIT_MAX_DEPTH 512

/*
 * A JSON writer producing exactly yajl_gen's text (compact, or beautified with tabs), straight
 * into one growing buffer: no generator to allocate, no copy at the end. Misuse (a value where
 * a key belongs) is the caller's bug and is not checked; running out of memory or nesting
 * deeper than OCI_EMIT_MAX_DEPTH sets `failed`.
 */
struct oci_emitter {
	char *buf;
	size_t len, cap;
	bool pretty, failed;
	unsigned depth;
	unsigned char state[OCI_EMIT_MAX_DEPTH];
};

void oci_emit_init(struct oci_emitter *e, bool pretty);
void oci_emit_string(struct oci_emitter *e, const char *s, size_t len);
/* A number, true, false or null, written as given. */
void oci_emit_scalar(struct oci_emitter *e, const char *text, size_t len);
void oci_emit_open(struct oci_emitter *e, bool array);
void oci_emit_close(struct oci_emitter *e, bool array);
/* The NUL-terminated text (the caller frees it) and its length; NULL if anything failed. */
char *oci_emit_finish(struct oci_emitter *e, size_t *len);

/* yajl parser callbacks that replay every event into the struct oci_emitter passed as their
 * context: how an OCI_JSON value is kept as compact text and written back out. */
extern const yajl_callbacks oci_replay_callbacks;

#endif
