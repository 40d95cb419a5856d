/*
 * Generating: any document described by a struct oci_type written out as JSON with yajl_gen,
 * members in table order, absent ones left out. yajl writes straight into the buffer that is
 * handed to the caller, so the text is not copied once more at the end; the parser keeps
 * OCI_JSON values as text the same way. The text is yajl_gen's: JSON is never written by
 * hand here.
 * This file must stay independent of Linux and of berth's runtime.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "walker.h"

/* ---- replaying events into a generator (OCI_JSON values) ------------------------------ */

static int replay_null(void *g)
{
	return yajl_gen_null(g) == yajl_gen_status_ok;
}

static int replay_boolean(void *g, int b)
{
	return yajl_gen_bool(g, b) == yajl_gen_status_ok;
}

static int replay_number(void *g, const char *s, size_t len)
{
	return yajl_gen_number(g, s, len) == yajl_gen_status_ok;
}

static int replay_string(void *g, const unsigned char *s, size_t len)
{
	return yajl_gen_string(g, s, len) == yajl_gen_status_ok;
}

static int replay_start_map(void *g)
{
	return yajl_gen_map_open(g) == yajl_gen_status_ok;
}

static int replay_end_map(void *g)
{
	return yajl_gen_map_close(g) == yajl_gen_status_ok;
}

static int replay_start_array(void *g)
{
	return yajl_gen_array_open(g) == yajl_gen_status_ok;
}

static int replay_end_array(void *g)
{
	return yajl_gen_array_close(g) == yajl_gen_status_ok;
}

static const yajl_callbacks replay_callbacks = {
	.yajl_null = replay_null,
	.yajl_boolean = replay_boolean,
	.yajl_number = replay_number,
	.yajl_string = replay_string,
	.yajl_start_map = replay_start_map,
	.yajl_map_key = replay_string,
	.yajl_end_map = replay_end_map,
	.yajl_start_array = replay_start_array,
	.yajl_end_array = replay_end_array,
};

/* A kept JSON text, re-parsed into the generator so that it is indented with the rest. */
static int gen_json_text(yajl_gen g, const char *text)
{
	yajl_handle h = yajl_alloc(&replay_callbacks, NULL, g);
	yajl_status st;

	if (h == NULL)
		return -1;
	yajl_config(h, yajl_allow_comments, 1);
	st = yajl_parse(h, (const unsigned char *)text, strlen(text));
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok ? 0 : -1;
}

/* ---- values ----------------------------------------------------------------------- */

static int gen_object(yajl_gen g, const struct oci_type *type, const void *obj);

static int gen_string(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok ? 0 : -1;
}

/* Integers in decimal without going through printf, which costs more than the rest of a
 * number's generation. */
static int gen_integer(yajl_gen g, uint64_t magnitude, bool negative)
{
	char buf[24], *end = buf + sizeof(buf), *s = end;

	do {
		*--s = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	if (negative)
		*--s = '-';
	return yajl_gen_number(g, s, (size_t)(end - s)) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_signed(yajl_gen g, int64_t v)
{
	return gen_integer(g, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

static int gen_value(yajl_gen g, enum oci_kind kind, const struct oci_type *type,
		     const void *slot)
{
	switch (kind) {
	case OCI_STRING:
		return gen_string(g, *(char *const *)slot);
	case OCI_BOOL:
		return yajl_gen_bool(g, *(const bool *)slot) == yajl_gen_status_ok ? 0 : -1;
	case OCI_INT32:
		return gen_signed(g, *(const int32_t *)slot);
	case OCI_UINT32:
		return gen_integer(g, *(const uint32_t *)slot, false);
	case OCI_INT64:
		return gen_signed(g, *(const int64_t *)slot);
	case OCI_UINT64:
		return gen_integer(g, *(const uint64_t *)slot, false);
	case OCI_DOUBLE:
		return yajl_gen_double(g, *(const double *)slot) == yajl_gen_status_ok ? 0 : -1;
	case OCI_OBJECT:
		return gen_object(g, type, slot);
	case OCI_MAP: {
		const struct oci_map *m = slot;
		size_t i;
		yajl_gen_map_open(g);
		for (i = 0; i < m->len; i++)
			if (gen_string(g, m->keys[i]) < 0 || gen_string(g, m->values[i]) < 0)
				return -1;
		return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
	}
	case OCI_JSON:
		return gen_json_text(g, *(char *const *)slot);
	case OCI_ARRAY:
		break;
	}
	return -1;
}

static bool field_present(const struct oci_field *f, const void *obj)
{
	const void *slot = AT(obj, f->offset);

	switch (f->kind) {
	case OCI_STRING:
	case OCI_JSON:
	case OCI_OBJECT:
		return *(void *const *)slot != NULL;
	case OCI_ARRAY:
		return *(void *const *)slot != NULL;
	case OCI_MAP:
		return ((const struct oci_map *)slot)->keys != NULL;
	default:
		/* Scalars without a has_ flag are always written; optional ones when set. */
		return f->aux_offset == OCI_NONE || *(const bool *)AT(obj, f->aux_offset);
	}
}

static int gen_object(yajl_gen g, const struct oci_type *type, const void *obj)
{
	const struct oci_field *f;

	if (yajl_gen_map_open(g) != yajl_gen_status_ok)
		return -1;
	for (f = type->fields; f->name; f++) {
		const void *slot = AT(obj, f->offset);

		if (!field_present(f, obj))
			continue;
		if (gen_string(g, f->name) < 0)
			return -1;
		if (f->kind == OCI_ARRAY) {
			const char *items = *(char *const *)slot;
			size_t i, n = *(const size_t *)AT(obj, f->aux_offset), size = oci_elem_size(f);
			if (f->flags & OCI_KEYED) {
				yajl_gen_map_open(g);
				for (i = 0; i < n; i++)
					if (gen_string(g, *(char *const *)(items + i * size)) < 0 ||
					    gen_object(g, f->type, items + i * size) < 0)
						return -1;
				if (yajl_gen_map_close(g) != yajl_gen_status_ok)
					return -1;
				continue;
			}
			yajl_gen_array_open(g);
			for (i = 0; i < n; i++)
				if (gen_value(g, f->elem, f->type, items + i * size) < 0)
					return -1;
			if (yajl_gen_array_close(g) != yajl_gen_status_ok)
				return -1;
		} else if (f->kind == OCI_OBJECT) {
			if (gen_object(g, f->type, *(void *const *)slot) < 0)
				return -1;
		} else if (gen_value(g, f->kind, f->type, slot) < 0) {
			return -1;
		}
	}
	return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}

/* ---- the text yajl_gen prints ------------------------------------------------------ */

/* yajl_gen's print callback: every piece of output, appended. */
static void text_print(void *ctx, const char *s, size_t n)
{
	struct oci_text *t = ctx;

	if (t->failed)
		return;
	if (t->cap - t->len <= n) {
		size_t cap = t->cap ? t->cap : 1024;
		char *grown;
		while (cap - t->len <= n) {
			if (cap > SIZE_MAX / 2) {
				t->failed = true;
				return;
			}
			cap *= 2;
		}
		if ((grown = realloc(t->buf, cap)) == NULL) {
			t->failed = true;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
	/* Most pieces are one byte (quotes, commas, colons, brackets): no memcpy call for those. */
	if (n == 1)
		t->buf[t->len] = *s;
	else
		memcpy(t->buf + t->len, s, n);
	t->len += n;
}

yajl_gen oci_text_gen(struct oci_text *t, bool pretty)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (g == NULL)
		return NULL;
	yajl_gen_config(g, yajl_gen_print_callback, text_print, t);
	if (pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "\t");
	}
	/* Keep '/' readable in paths: yajl escapes it only when asked. */
	yajl_gen_config(g, yajl_gen_escape_solidus, 0);
	return g;
}

char *oci_text_take(struct oci_text *t, size_t *len)
{
	char *text = t->buf;

	if (t->failed || t->len == 0) {
		free(t->buf);
		text = NULL;
	} else {
		text[t->len] = '\0'; /* text_print always leaves room for it */
		if (t->cap - t->len > 256) {
			char *fit = realloc(text, t->len + 1);
			if (fit)
				text = fit;
		}
		if (len)
			*len = t->len;
	}
	memset(t, 0, sizeof(*t));
	return text;
}

/* ---- the document ----------------------------------------------------------------- */

int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **json,
		 size_t *len, char **err)
{
	struct oci_text t = { .buf = NULL };
	yajl_gen g = oci_text_gen(&t, pretty);
	int r = -1;

	*json = NULL;
	if (err)
		*err = NULL;
	if (g != NULL && gen_object(g, type, obj) == 0 && (*json = oci_text_take(&t, len)) != NULL)
		r = 0;
	if (g)
		yajl_gen_free(g);
	free(t.buf); /* what a failure left */
	if (r < 0 && err && asprintf(err, "cannot generate JSON") < 0)
		*err = NULL;
	return r;
}
