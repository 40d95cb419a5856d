/*
 * jsonw: a small JSON writer into a growing memory buffer, for the static probe.
 *
 * Strings are written as given; bytes that are not valid UTF-8 become "\udcXX" (the convention
 * of Python's surrogateescape, so os.fsencode() gives the original bytes back). It must never
 * need a heap beyond its one buffer, nor anything from the rootfs, as the probe runs in bare ones.
 */
#ifndef BERTH_JSONW_H
#define BERTH_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#define JSONW_MAX_DEPTH 16

struct jsonw {
	char *buf;
	size_t len;
	size_t cap;
	int depth;
	bool has_member[JSONW_MAX_DEPTH]; /* a comma is due before the next value at this depth */
	bool after_key;                   /* the next value completes a "key": pair */
	bool failed;                      /* out of memory or nesting too deep: the text is lost */
};

void jsonw_object_open(struct jsonw *w);
void jsonw_object_close(struct jsonw *w);
void jsonw_array_open(struct jsonw *w);
void jsonw_array_close(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_string_n(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_uint(struct jsonw *w, unsigned long long v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_free(struct jsonw *w);

#endif
