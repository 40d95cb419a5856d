/*
 * What libocispec's parser (parse.c), generator (generate.c) and the freeing and map code
 * (walker.c) share. Internal to libocispec: nothing outside libocispec/ includes it.
 */
#ifndef OCISPEC_WALKER_H
#define OCISPEC_WALKER_H

#include <yajl/yajl_gen.h>

#include "ocispec.h"

#define AT(base, off) ((char *)(base) + (off))

/* The size of one element of an array field. */
size_t oci_elem_size(const struct oci_field *f);

/*
 * JSON text that a yajl_gen prints into one growing buffer, which is then handed over as it
 * is: no yajl_buf behind the generator and no copy of its text at the end.
 */
struct oci_text {
	char *buf;
	size_t len, cap;
	bool failed; /* out of memory: the text is incomplete */
};

/* A yajl_gen printing into *t (zeroed by the caller), compact or beautified with tabs, '/'
 * left unescaped. NULL when out of memory. */
yajl_gen oci_text_gen(struct oci_text *t, bool pretty);

/* The text printed so far, NUL-terminated, for the caller to free, and its length in *len
 * (if not NULL); *t is empty again. NULL when nothing was printed or memory ran out. */
char *oci_text_take(struct oci_text *t, size_t *len);

#endif
