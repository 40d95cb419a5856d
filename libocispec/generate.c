/*
 * Generating: any document described by a struct oci_type written out as JSON, members in
 * table order, absent ones left out. The text is byte for byte what yajl_gen writes (compact,
 * or beautified with tabs), but it is written straight into the buffer handed to the caller:
 * yajl_gen cost a generator allocation per document, a call per piece of output and
 * printf for every integer.
 * This file must stay independent of Linux and of berth's runtime.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "walker.h"

/* ---- the writer ------------------------------------------------------------------- */

/* Where the writer stands at each depth: yajl_gen's states, so that separators, newlines
 * and indentation come out as yajl_gen puts them. */
enum emit_state {
	EMIT_START,	  /* nothing written yet */
	EMIT_MAP_START,	  /* an object just opened */
	EMIT_MAP_KEY,	  /* a key comes next (after a value) */
	EMIT_MAP_VAL,	  /* a value comes next (after its key) */
	EMIT_ARRAY_START, /* an array just opened */
	EMIT_IN_ARRAY,	  /* another element comes next */
	EMIT_COMPLETE,	  /* the top-level value is written */
};

void oci_emit_init(struct oci_emitter *e, bool pretty)
{
	e->buf = NULL;
	e->len = e->cap = 0;
	e->pretty = pretty;
	e->failed = false;
	e->depth = 0;
	e->state[0] = EMIT_START;
}

/* Room for n more bytes and the final NUL: the rare case, out of line. */
static bool grow(struct oci_emitter *e, size_t n)
{
	size_t cap = e->cap ? e->cap : 256;
	char *grown;

	if (e->failed)
		return false;
	while (cap - e->len <= n) {
		if (cap > SIZE_MAX / 2) {
			e->failed = true;
			return false;
		}
		cap *= 2;
	}
	if ((grown = realloc(e->buf, cap)) == NULL) {
		e->failed = true;
		return false;
	}
	e->buf = grown;
	e->cap = cap;
	return true;
}

static inline bool reserve(struct oci_emitter *e, size_t n)
{
	return e->cap - e->len > n || grow(e, n);
}

static void put(struct oci_emitter *e, const char *s, size_t n)
{
	if (reserve(e, n)) {
		memcpy(e->buf + e->len, s, n);
		e->len += n;
	}
}

static void put_char(struct oci_emitter *e, char c)
{
	if (reserve(e, 1))
		e->buf[e->len++] = c;
}

static void indent(struct oci_emitter *e)
{
	unsigned i;

	if (e->pretty && reserve(e, e->depth))
		for (i = 0; i < e->depth; i++)
			e->buf[e->len++] = '\t';
}

/* What comes before a value or key: a comma between elements, a colon after a key, then
 * the indentation of its line. */
static void begin_item(struct oci_emitter *e)
{
	unsigned char st = e->state[e->depth];

	if (st == EMIT_MAP_KEY || st == EMIT_IN_ARRAY) {
		put(e, ",\n", e->pretty ? 2 : 1);
	} else if (st == EMIT_MAP_VAL) {
		put(e, ": ", e->pretty ? 2 : 1);
		return;
	}
	indent(e);
}

/* A key or value is written: what the enclosing object or array expects next. */
static unsigned char advance(struct oci_emitter *e)
{
	unsigned char *st = &e->state[e->depth];

	switch (*st) {
	case EMIT_START:
		*st = EMIT_COMPLETE;
		break;
	case EMIT_MAP_START:
	case EMIT_MAP_KEY:
		*st = EMIT_MAP_VAL;
		break;
	case EMIT_ARRAY_START:
		*st = EMIT_IN_ARRAY;
		break;
	case EMIT_MAP_VAL:
		*st = EMIT_MAP_KEY;
		break;
	}
	return *st;
}

static void end_item(struct oci_emitter *e)
{
	if (advance(e) == EMIT_COMPLETE && e->pretty)
		put_char(e, '\n');
}

void oci_emit_scalar(struct oci_emitter *e, const char *text, size_t len)
{
	begin_item(e);
	put(e, text, len);
	end_item(e);
}

/* The bytes a JSON string cannot hold as they are: control characters, '"' and '\\'. */
static const bool must_escape[256] = {
	[0x00 ... 0x1f] = true,
	['"'] = true,
	['\\'] = true,
};

/* Escapes as yajl_string_encode without escaping '/': the named ones, other control
 * characters as \u00XX; bytes of 0x7f and above go through unchanged. */
void oci_emit_string(struct oci_emitter *e, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	size_t i;
	char *out;

	begin_item(e);
	/* Room for the whole string and its quotes, which is all most strings need. */
	if (!reserve(e, len + 2))
		return;
	out = e->buf + e->len;
	*out++ = '"';
	for (i = 0; i < len; i++) {
		char c = 0;

		if (!must_escape[u[i]]) {
			*out++ = s[i];
			continue;
		}
		e->len = (size_t)(out - e->buf);
		if (!reserve(e, 6 + (len - i) + 1))
			return;
		out = e->buf + e->len;
		switch (u[i]) {
		case '\r':
			c = 'r';
			break;
		case '\n':
			c = 'n';
			break;
		case '\\':
			c = '\\';
			break;
		case '"':
			c = '"';
			break;
		case '\f':
			c = 'f';
			break;
		case '\b':
			c = 'b';
			break;
		case '\t':
			c = 't';
			break;
		}
		*out++ = '\\';
		if (c) {
			*out++ = c;
		} else {
			memcpy(out, "u00", 3);
			out[3] = hex[u[i] >> 4];
			out[4] = hex[u[i] & 0xf];
			out += 5;
		}
	}
	*out++ = '"';
	e->len = (size_t)(out - e->buf);
	end_item(e);
}

void oci_emit_open(struct oci_emitter *e, bool array)
{
	begin_item(e);
	if (e->depth + 1 >= OCI_EMIT_MAX_DEPTH) {
		e->failed = true;
		return;
	}
	e->state[++e->depth] = array ? EMIT_ARRAY_START : EMIT_MAP_START;
	put(e, array ? "[\n" : "{\n", e->pretty ? 2 : 1);
}

/* As yajl_gen: the closing bracket goes on a line of its own (so an empty object or array
 * spans two lines when beautified), indented for the depth it closes to. */
void oci_emit_close(struct oci_emitter *e, bool array)
{
	unsigned char st;

	if (e->depth == 0) {
		e->failed = true;
		return;
	}
	e->depth--;
	if (e->pretty)
		put_char(e, '\n');
	st = advance(e);
	if (st != EMIT_MAP_VAL)
		indent(e);
	put_char(e, array ? ']' : '}');
	if (st == EMIT_COMPLETE && e->pretty)
		put_char(e, '\n');
}

char *oci_emit_finish(struct oci_emitter *e, size_t *len)
{
	char *text;

	if (e->failed || e->buf == NULL) {
		free(e->buf);
		e->buf = NULL;
		return NULL;
	}
	e->buf[e->len] = '\0'; /* reserve() always leaves room for it */
	text = e->buf;
	if (e->cap - e->len > 64) {
		char *fit = realloc(text, e->len + 1);
		if (fit)
			text = fit;
	}
	if (len)
		*len = e->len;
	e->buf = NULL;
	return text;
}

/* ---- replaying events into a writer (OCI_JSON values) --------------------------------- */

static int replay_null(void *e)
{
	oci_emit_scalar(e, "null", 4);
	return 1;
}

static int replay_boolean(void *e, int b)
{
	oci_emit_scalar(e, b ? "true" : "false", b ? 4 : 5);
	return 1;
}

static int replay_number(void *e, const char *s, size_t len)
{
	oci_emit_scalar(e, s, len);
	return 1;
}

static int replay_string(void *e, const unsigned char *s, size_t len)
{
	oci_emit_string(e, (const char *)s, len);
	return 1;
}

static int replay_start_map(void *e)
{
	oci_emit_open(e, false);
	return 1;
}

static int replay_end_map(void *e)
{
	oci_emit_close(e, false);
	return 1;
}

static int replay_start_array(void *e)
{
	oci_emit_open(e, true);
	return 1;
}

static int replay_end_array(void *e)
{
	oci_emit_close(e, true);
	return 1;
}

const yajl_callbacks oci_replay_callbacks = {
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

/* A kept JSON text, re-parsed into the writer so that it is indented with the rest. */
static int gen_json_text(struct oci_emitter *e, const char *text)
{
	yajl_handle h = yajl_alloc(&oci_replay_callbacks, NULL, e);
	yajl_status st;

	if (h == NULL)
		return -1;
	yajl_config(h, yajl_allow_comments, 1);
	st = yajl_parse(h, (const unsigned char *)text, strlen(text));
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok && !e->failed ? 0 : -1;
}

/* ---- values ----------------------------------------------------------------------- */

static int gen_object(struct oci_emitter *e, const struct oci_type *type, const void *obj);

static void gen_string(struct oci_emitter *e, const char *s)
{
	oci_emit_string(e, s, strlen(s));
}

static void gen_integer(struct oci_emitter *e, uint64_t magnitude, bool negative)
{
	char buf[24], *end = buf + sizeof(buf), *s = end;

	do {
		*--s = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude);
	if (negative)
		*--s = '-';
	oci_emit_scalar(e, s, (size_t)(end - s));
}

static void gen_signed(struct oci_emitter *e, int64_t v)
{
	gen_integer(e, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* As yajl_gen_double: 20 significant digits, ".0" added to what reads as an integer, and
 * no text at all for infinities and NaN, which JSON cannot hold. */
static int gen_double(struct oci_emitter *e, double d)
{
	char buf[40];

	if (isnan(d) || isinf(d))
		return -1;
	snprintf(buf, sizeof(buf), "%.20g", d);
	if (strspn(buf, "0123456789-") == strlen(buf))
		strcat(buf, ".0");
	oci_emit_scalar(e, buf, strlen(buf));
	return 0;
}

static int gen_value(struct oci_emitter *e, enum oci_kind kind, const struct oci_type *type,
		     const void *slot)
{
	switch (kind) {
	case OCI_STRING:
		gen_string(e, *(char *const *)slot);
		return 0;
	case OCI_BOOL:
		oci_emit_scalar(e, *(const bool *)slot ? "true" : "false",
				*(const bool *)slot ? 4 : 5);
		return 0;
	case OCI_INT32:
		gen_signed(e, *(const int32_t *)slot);
		return 0;
	case OCI_UINT32:
		gen_integer(e, *(const uint32_t *)slot, false);
		return 0;
	case OCI_INT64:
		gen_signed(e, *(const int64_t *)slot);
		return 0;
	case OCI_UINT64:
		gen_integer(e, *(const uint64_t *)slot, false);
		return 0;
	case OCI_DOUBLE:
		return gen_double(e, *(const double *)slot);
	case OCI_OBJECT:
		return gen_object(e, type, slot);
	case OCI_MAP: {
		const struct oci_map *m = slot;
		size_t i;
		oci_emit_open(e, false);
		for (i = 0; i < m->len; i++) {
			gen_string(e, m->keys[i]);
			gen_string(e, m->values[i]);
		}
		oci_emit_close(e, false);
		return 0;
	}
	case OCI_JSON:
		return gen_json_text(e, *(char *const *)slot);
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
	case OCI_ARRAY:
		return *(void *const *)slot != NULL;
	case OCI_MAP:
		return ((const struct oci_map *)slot)->keys != NULL;
	default:
		/* Scalars without a has_ flag are always written; optional ones when set. */
		return f->aux_offset == OCI_NONE || *(const bool *)AT(obj, f->aux_offset);
	}
}

static int gen_object(struct oci_emitter *e, const struct oci_type *type, const void *obj)
{
	const struct oci_field *f;

	oci_emit_open(e, false);
	for (f = type->fields; f->name; f++) {
		const void *slot = AT(obj, f->offset);

		if (!field_present(f, obj))
			continue;
		gen_string(e, f->name);
		if (f->kind == OCI_ARRAY) {
			const char *items = *(char *const *)slot;
			size_t i, n = *(const size_t *)AT(obj, f->aux_offset),
				  size = oci_elem_size(f);
			bool keyed = (f->flags & OCI_KEYED) != 0;

			oci_emit_open(e, !keyed);
			for (i = 0; i < n; i++) {
				if (keyed) {
					gen_string(e, *(char *const *)(items + i * size));
					if (gen_object(e, f->type, items + i * size) < 0)
						return -1;
				} else if (gen_value(e, f->elem, f->type, items + i * size) < 0) {
					return -1;
				}
			}
			oci_emit_close(e, !keyed);
		} else if (f->kind == OCI_OBJECT) {
			if (gen_object(e, f->type, *(void *const *)slot) < 0)
				return -1;
		} else if (gen_value(e, f->kind, f->type, slot) < 0) {
			return -1;
		}
	}
	oci_emit_close(e, false);
	return e->failed ? -1 : 0;
}

/* ---- the document ----------------------------------------------------------------- */

int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **json,
		 size_t *len, char **err)
{
	struct oci_emitter e;
	int r;

	if (err)
		*err = NULL;
	oci_emit_init(&e, pretty);
	r = gen_object(&e, type, obj);
	if (r < 0)
		e.failed = true;
	*json = oci_emit_finish(&e, len);
	if (*json == NULL) {
		if (err && asprintf(err, "cannot generate JSON") < 0)
			*err = NULL;
		return -1;
	}
	return 0;
}
