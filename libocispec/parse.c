/*
 * Parsing: JSON text straight into the structs a table describes, driven by yajl's event
 * parser. No tree of the document is built first, so the text is decoded once and each value
 * is allocated once, where it stays; a member's table entry is found by name as its key
 * goes by, and arrays grow as their elements arrive.
 *
 * The outcome is the one a walk over a complete tree in table order would give, which is what
 * the messages promise: the first value that a depth-first walk of the tables meets missing
 * or of the wrong type is the one reported, wherever it stands in the text; the first of
 * repeated members wins; null means absent; unknown members are skipped. So a type error does
 * not stop the parse: the rest of the text is still read, for the syntax errors that take
 * precedence and for errors that come earlier in table order (their "rank", below).
 * This file must stay independent of Linux and of berth's runtime.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "walker.h"

/* No OCI document nests anywhere near this deep; refusing it keeps every stack here bounded. */
#define MAX_DEPTH 256
/* Frames kept inside the parser before a deeper document needs MAX_DEPTH of them. */
#define INLINE_FRAMES 16

/* ---- the JSON path in messages ------------------------------------------------------ */

struct path {
	char buf[512];
	size_t len;
};

static void path_push_member(struct path *p, const char *name)
{
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "", name);
	if (n > 0)
		p->len = (p->len + n < sizeof(p->buf)) ? p->len + n : sizeof(p->buf) - 1;
}

static void path_push_index(struct path *p, size_t i)
{
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i);
	if (n > 0)
		p->len = (p->len + n < sizeof(p->buf)) ? p->len + n : sizeof(p->buf) - 1;
}

/* A user-chosen key (map, keyed array): bare when it reads unambiguously after a dot,
 * quoted otherwise, so `linux.sysctl["net.ipv4.ip_forward"]` cannot be misread as a nested
 * path and a key holding a newline cannot split the one-line message. */
static void path_push_key(struct path *p, const char *key)
{
	size_t i, end = sizeof(p->buf) - 1;
	bool bare = key[0] != '\0';

	for (i = 0; key[i]; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_' || key[i] == '-'))
			bare = false;
	if (bare) {
		path_push_member(p, key);
		return;
	}
	if (p->len + 2 < end) {
		p->buf[p->len++] = '[';
		p->buf[p->len++] = '"';
	}
	for (i = 0; key[i] && p->len + 6 < end; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c == '"' || c == '\\') {
			p->buf[p->len++] = '\\';
			p->buf[p->len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			p->len += (size_t)snprintf(p->buf + p->len, end + 1 - p->len, "\\x%02x", c);
		} else {
			p->buf[p->len++] = (char)c;
		}
	}
	if (p->len + 2 <= end) {
		p->buf[p->len++] = '"';
		p->buf[p->len++] = ']';
	}
	p->buf[p->len] = '\0';
}

static const char *kind_name(enum oci_kind kind)
{
	switch (kind) {
	case OCI_STRING:
		return "string";
	case OCI_BOOL:
		return "boolean";
	case OCI_INT32:
		return "32-bit integer";
	case OCI_UINT32:
		return "unsigned 32-bit integer";
	case OCI_INT64:
		return "integer";
	case OCI_UINT64:
		return "unsigned integer";
	case OCI_DOUBLE:
		return "number";
	case OCI_OBJECT:
	case OCI_MAP:
		return "object";
	case OCI_ARRAY:
		return "array";
	case OCI_JSON:
		return "JSON value";
	}
	return "value";
}

/* ---- the parser's state ------------------------------------------------------------- */

/* One open JSON object or array that is being stored somewhere. */
enum frame_kind {
	FRAME_OBJECT, /* a struct, filled member by member */
	FRAME_ARRAY,  /* an array field (T * + _len) */
	FRAME_KEYED,  /* an OCI_KEYED array field, written as an object */
	FRAME_MAP,    /* a struct oci_map */
};

struct frame {
	enum frame_kind kind;
	void *base;			/* OBJECT: the struct; ARRAY, KEYED: the struct holding
					   the field; MAP: the struct oci_map */
	const struct oci_type *type;	/* OBJECT: its table */
	const struct oci_field *field;	/* ARRAY, KEYED: the array field */
	const struct oci_field *member; /* OBJECT: the member whose value comes next, NULL to
					   skip that value (unknown or repeated) */
	uint64_t seen, present;		/* OBJECT: members met (the first one wins), not null */
	size_t next;			/* OBJECT: where to start looking up the next key */
	size_t count;			/* ARRAY, KEYED, MAP: elements begun, bad ones too */
	size_t cap;			/* ARRAY, KEYED, MAP: elements allocated */
	size_t size;			/* ARRAY, KEYED: bytes per element */
};

struct parser {
	const struct oci_type *type;
	const char *source;
	void *root;
	struct frame *frames, inline_frames[INLINE_FRAMES];
	size_t depth;
	size_t nesting;		      /* objects and arrays open in the text */
	size_t skipping;	      /* > 0: inside a value nobody stores, this deep */
	yajl_gen capture;	      /* keeps OCI_JSON values as text; made for the first */
	struct oci_text capture_text; /* what it printed of the value being kept */
	char **capture_slot;	      /* where that text goes; NULL: no value is being kept */
	size_t capture_depth;	      /* the value's objects and arrays still open */
	uintptr_t text, text_end;     /* the JSON text parsed */
	const char *fatal;	      /* why the parse was cancelled */
	char *error;		      /* the first error in table order met so far */
	size_t *rank, rank_len;
};

/* Where the value that begins now is stored, and what it must be. */
struct dest {
	enum oci_kind kind;
	const struct oci_type *type;
	const struct oci_field *member; /* a member of the object `owner` (null: absent) */
	void *owner;
	struct oci_map *map; /* a map's value, whose key waits at keys[len] */
	void *slot;
	bool nested; /* an element of an array of arrays, which tables cannot describe */
	bool skip;   /* nobody stores it */
};

static struct frame *top(struct parser *p)
{
	return &p->frames[p->depth - 1];
}

/* Stop the parse: yajl returns client_canceled and *why becomes the message. */
static int cancel(struct parser *p, const char *why)
{
	if (p->fatal == NULL)
		p->fatal = why;
	return 0;
}

/* ---- errors and their rank ---------------------------------------------------------- */

/* A frame's position inside its value: the member's index in the table, or the element's. */
static size_t frame_position(const struct frame *fr, const struct oci_field *member)
{
	if (fr->kind == FRAME_OBJECT)
		return (size_t)((member ? member : fr->member) - fr->type->fields);
	return fr->count - 1;
}

static void frame_path(const struct frame *fr, const struct oci_field *member, struct path *path)
{
	switch (fr->kind) {
	case FRAME_OBJECT:
		path_push_member(path, (member ? member : fr->member)->name);
		break;
	case FRAME_ARRAY:
		path_push_index(path, fr->count - 1);
		break;
	case FRAME_KEYED: {
		const char *items = *(char *const *)AT(fr->base, fr->field->offset);
		path_push_key(path, *(char *const *)(items + (fr->count - 1) * fr->size));
		break;
	}
	case FRAME_MAP: {
		const struct oci_map *m = fr->base;
		path_push_key(path, m->keys[m->len]);
		break;
	}
	}
}

/*
 * Record an error at the value being parsed, or with `missing` at that member of the
 * innermost object. A walk of the tables meets values in the order of their ranks: the
 * position in each enclosing value, outermost first (member index in the table, element
 * index in arrays and maps). The error with the lowest rank is the one that walk reports.
 * Returns 1 to go on parsing, 0 when out of memory.
 */
static int fail(struct parser *p, const struct oci_field *missing, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct parser *p, const struct oci_field *missing, const char *fmt, ...)
{
	size_t i, n = p->depth, *rank;
	struct path path = { .len = 0 };
	char *what = NULL, *msg = NULL;
	va_list ap;

	rank = malloc((n ? n : 1) * sizeof(*rank));
	if (rank == NULL)
		return cancel(p, "out of memory");
	for (i = 0; i < n; i++)
		rank[i] = frame_position(&p->frames[i], i + 1 == n ? missing : NULL);
	if (p->error) {
		for (i = 0; i < n && i < p->rank_len && rank[i] == p->rank[i]; i++)
			;
		if (i < n && i < p->rank_len ? rank[i] > p->rank[i] : n >= p->rank_len) {
			free(rank);
			return 1;
		}
	}
	path.buf[0] = '\0';
	for (i = 0; i < n; i++)
		frame_path(&p->frames[i], i + 1 == n ? missing : NULL, &path);
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (what == NULL ||
	    asprintf(&msg, "%s: %s%s%s", p->source, path.buf, path.len ? ": " : "", what) < 0) {
		free(what);
		free(rank);
		return cancel(p, "out of memory");
	}
	free(what);
	free(p->error);
	free(p->rank);
	p->error = msg;
	p->rank = rank;
	p->rank_len = n;
	return 1;
}

/* The value does not have the kind its table entry asks for. */
static int mismatch(struct parser *p, const struct dest *d, bool container)
{
	const char *want = kind_name(d->kind);

	if (container)
		p->skipping = 1; /* nothing inside a wrong value is looked at */
	if (d->kind == OCI_OBJECT && d->type->name)
		want = d->type->name;
	else if (d->kind == OCI_ARRAY && d->member && (d->member->flags & OCI_KEYED))
		want = "object";
	if (!(d->nested ? fail(p, NULL, "nested arrays are not supported")
			: fail(p, NULL, "expected %s", want)))
		return 0;
	if (d->map) {
		free(d->map->keys[d->map->len]);
		d->map->keys[d->map->len] = NULL;
	}
	return 1;
}

/* ---- storage ------------------------------------------------------------------------ */

/* Room for `need` elements of `size` bytes in *items, new ones zeroed: the rare case. */
static int grow(void **items, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 1;
	char *grown;

	if (size == 0) /* an array of arrays: reported, never stored */
		size = 1;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return -1;
	grown = realloc(*items, ncap * size);
	if (grown == NULL)
		return -1;
	memset(grown + *cap * size, 0, (ncap - *cap) * size);
	*items = grown;
	*cap = ncap;
	return 0;
}

static inline int reserve(void **items, size_t *cap, size_t need, size_t size)
{
	return need <= *cap ? 0 : grow(items, cap, need, size);
}

/* Give back what doubling over-allocated, once the length is known; `len` elements plus the
 * NULL one that keeps string arrays NULL-terminated for execve() and friends. */
static void shrink(void **items, size_t cap, size_t len, size_t size)
{
	void *fit;

	if ((cap - len - 1) * size < 32) /* glibc cannot split off less */
		return;
	if ((fit = realloc(*items, (len + 1) * size)) != NULL)
		*items = fit;
}

static char *copy_text(const void *s, size_t len)
{
	char *c = malloc(len + 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

static struct frame *push(struct parser *p, enum frame_kind kind, void *base)
{
	struct frame *fr;

	if (p->depth == INLINE_FRAMES && p->frames == p->inline_frames) {
		/* The nesting limit bounds the frames: one per object or array open. */
		struct frame *all = malloc(MAX_DEPTH * sizeof(*all));
		if (all == NULL)
			return NULL;
		memcpy(all, p->inline_frames, sizeof(p->inline_frames));
		p->frames = all;
	}
	fr = &p->frames[p->depth++];
	memset(fr, 0, sizeof(*fr));
	fr->kind = kind;
	fr->base = base;
	return fr;
}

/* Set an OCI_OPT member's has_ flag once its value is stored. */
static void mark_has(const struct dest *d)
{
	if (d->member && d->member->kind != OCI_ARRAY && d->member->aux_offset != OCI_NONE)
		*(bool *)AT(d->owner, d->member->aux_offset) = true;
}

/* Work out where the value that begins now goes. Returns -1 when out of memory. */
static int begin_value(struct parser *p, struct dest *d)
{
	struct frame *fr;

	memset(d, 0, sizeof(*d));
	if (p->depth == 0) {
		/* The document itself, stored in the struct allocated up front. */
		d->kind = OCI_OBJECT;
		d->type = p->type;
		d->slot = p->root;
		return 0;
	}
	fr = top(p);
	switch (fr->kind) {
	case FRAME_OBJECT:
		if (fr->member == NULL) {
			d->skip = true;
			return 0;
		}
		d->member = fr->member;
		d->owner = fr->base;
		d->kind = fr->member->kind;
		d->type = fr->member->type;
		d->slot = AT(fr->base, fr->member->offset);
		return 0;
	case FRAME_ARRAY: {
		const struct oci_field *f = fr->field;
		void **items = (void **)AT(fr->base, f->offset);
		size_t *len = (size_t *)AT(fr->base, f->aux_offset), size = fr->size;

		if (reserve(items, &fr->cap, fr->count + 2, size) < 0)
			return -1;
		/* Counted first, so that a half-stored element is still freed. */
		*len = ++fr->count;
		d->kind = f->elem;
		d->type = f->type;
		d->nested = f->elem == OCI_ARRAY;
		d->slot = (char *)*items + (fr->count - 1) * size;
		return 0;
	}
	case FRAME_KEYED: {
		const struct oci_field *f = fr->field;
		d->kind = OCI_OBJECT;
		d->type = f->type;
		d->slot = *(char **)AT(fr->base, f->offset) + (fr->count - 1) * f->type->size;
		return 0;
	}
	case FRAME_MAP:
		d->kind = OCI_STRING;
		d->map = fr->base;
		d->slot = &d->map->values[d->map->len];
		return 0;
	}
	return 0;
}

/* An object, array or map begins at `d`. */
static int open_container(struct parser *p, const struct dest *d, bool is_array)
{
	struct frame *fr;

	if (d->nested)
		return mismatch(p, d, true);
	switch (d->kind) {
	case OCI_OBJECT: {
		void *obj = d->slot;
		if (is_array)
			return mismatch(p, d, true);
		if (d->member) {
			/* A member object is its own allocation; array elements are inline. */
			if ((obj = calloc(1, d->type->size)) == NULL)
				return cancel(p, "out of memory");
			*(void **)d->slot = obj;
		}
		if ((fr = push(p, FRAME_OBJECT, obj)) == NULL)
			return cancel(p, "out of memory");
		fr->type = d->type;
		break;
	}
	case OCI_MAP: {
		struct oci_map *m = d->slot;
		if (is_array)
			return mismatch(p, d, true);
		if ((fr = push(p, FRAME_MAP, m)) == NULL)
			return cancel(p, "out of memory");
		/* Present even when empty: keys and values are NULL-terminated. */
		fr->cap = 4;
		m->keys = calloc(fr->cap, sizeof(char *));
		m->values = calloc(fr->cap, sizeof(char *));
		if (m->keys == NULL || m->values == NULL)
			return cancel(p, "out of memory");
		break;
	}
	case OCI_ARRAY: {
		bool keyed = (d->member->flags & OCI_KEYED) != 0;
		size_t size = oci_elem_size(d->member);
		if (is_array == keyed)
			return mismatch(p, d, true);
		if ((fr = push(p, keyed ? FRAME_KEYED : FRAME_ARRAY, d->owner)) == NULL)
			return cancel(p, "out of memory");
		fr->field = d->member;
		fr->size = size;
		/* Present even when empty, so [] is written back as []. */
		fr->cap = size <= 16 ? 8 : 2;
		if ((*(void **)d->slot = calloc(fr->cap, size)) == NULL)
			return cancel(p, "out of memory");
		break;
	}
	default:
		return mismatch(p, d, true);
	}
	mark_has(d);
	return 1;
}

/* Integers: the raw text, so values beyond long long still parse exactly. */
static int store_integer(struct parser *p, const struct dest *d, const char *s, size_t len)
{
	char small[32], *raw = small, *end;
	enum oci_kind kind = d->kind;
	int r = 1;

	if (len >= sizeof(small) && (raw = malloc(len + 1)) == NULL)
		return cancel(p, "out of memory");
	memcpy(raw, s, len);
	raw[len] = '\0';
	errno = 0;
	if (strpbrk(raw, ".eE")) {
		r = fail(p, NULL, "expected %s", kind_name(kind));
	} else if (kind == OCI_UINT64 || kind == OCI_UINT32) {
		unsigned long long u;
		if (raw[0] == '-') {
			r = fail(p, NULL, "expected %s, got %s", kind_name(kind), raw);
			goto out;
		}
		u = strtoull(raw, &end, 10);
		if (errno || *end || (kind == OCI_UINT32 && u > UINT32_MAX)) {
			r = fail(p, NULL, "%s is out of range for %s", raw, kind_name(kind));
			goto out;
		}
		if (kind == OCI_UINT32)
			*(uint32_t *)d->slot = (uint32_t)u;
		else
			*(uint64_t *)d->slot = u;
		mark_has(d);
	} else {
		long long v = strtoll(raw, &end, 10);
		if (errno || *end || (kind == OCI_INT32 && (v < INT32_MIN || v > INT32_MAX))) {
			r = fail(p, NULL, "%s is out of range for %s", raw, kind_name(kind));
			goto out;
		}
		if (kind == OCI_INT32)
			*(int32_t *)d->slot = (int32_t)v;
		else
			*(int64_t *)d->slot = v;
		mark_has(d);
	}
out:
	if (raw != small)
		free(raw);
	return r;
}

/* ---- OCI_JSON values, kept as compact text ----------------------------------------------- */

enum event {
	EV_NULL,
	EV_BOOL,
	EV_NUMBER,
	EV_STRING,
	EV_KEY,
	EV_OPEN_MAP,
	EV_OPEN_ARRAY,
	EV_CLOSE_MAP,
	EV_CLOSE_ARRAY
};

/* The value being kept is complete (its text goes to its slot) or refused (dropped). The
 * generator is reset for the next one. */
static int end_capture(struct parser *p, bool keep)
{
	char **slot = p->capture_slot;

	p->capture_slot = NULL;
	p->capture_depth = 0;
	yajl_gen_reset(p->capture, NULL);
	if (!keep) {
		free(p->capture_text.buf);
		memset(&p->capture_text, 0, sizeof(p->capture_text));
		return 1;
	}
	if ((*slot = oci_text_take(&p->capture_text, NULL)) == NULL)
		return cancel(p, "out of memory");
	return 1;
}

/* One event into the capture; the text is stored when its value is complete. */
static int capture_event(struct parser *p, enum event ev, const char *s, size_t len, int b)
{
	yajl_gen g = p->capture;
	yajl_gen_status st = yajl_gen_status_ok;

	switch (ev) {
	case EV_NULL:
		st = yajl_gen_null(g);
		break;
	case EV_BOOL:
		st = yajl_gen_bool(g, b);
		break;
	case EV_NUMBER:
		st = yajl_gen_number(g, s, len);
		break;
	case EV_STRING:
	case EV_KEY:
		st = yajl_gen_string(g, (const unsigned char *)s, len);
		break;
	case EV_OPEN_MAP:
	case EV_OPEN_ARRAY:
		/* oci_generate writes the value back with yajl_gen inside the objects and arrays
		 * around it, as deep as here in the text (p->nesting counts this one): what
		 * yajl_gen cannot nest that deep is an error, and the rest of the value is
		 * skipped. */
		if (p->nesting >= YAJL_MAX_DEPTH) {
			p->skipping = p->capture_depth + 1;
			end_capture(p, false);
			return fail(p, NULL, "nested deeper than %d levels", YAJL_MAX_DEPTH - 1);
		}
		p->capture_depth++;
		st = ev == EV_OPEN_MAP ? yajl_gen_map_open(g) : yajl_gen_array_open(g);
		break;
	case EV_CLOSE_MAP:
	case EV_CLOSE_ARRAY:
		p->capture_depth--;
		st = ev == EV_CLOSE_MAP ? yajl_gen_map_close(g) : yajl_gen_array_close(g);
		break;
	}
	/* The events come from yajl's parser, in an order yajl_gen accepts; only the text's
	 * buffer can fail. */
	if (st != yajl_gen_status_ok || p->capture_text.failed)
		return cancel(p, "out of memory");
	if (p->capture_depth > 0)
		return 1;
	return end_capture(p, true);
}

static int begin_capture(struct parser *p, const struct dest *d, enum event ev, const char *s,
			 size_t len, int b)
{
	/* One generator for all the OCI_JSON values of a document, made when the first comes. */
	if (p->capture == NULL && (p->capture = oci_text_gen(&p->capture_text, false)) == NULL)
		return cancel(p, "out of memory");
	p->capture_slot = d->slot;
	mark_has(d);
	return capture_event(p, ev, s, len, b);
}

/* ---- yajl's events ------------------------------------------------------------------ */

/* A scalar, or the start of an object or array. */
static int on_value(struct parser *p, enum event ev, const char *s, size_t len, int b)
{
	bool container = ev == EV_OPEN_MAP || ev == EV_OPEN_ARRAY;
	struct dest d;

	if (p->skipping) {
		p->skipping += container;
		return 1;
	}
	if (p->capture_slot)
		return capture_event(p, ev, s, len, b);
	if (begin_value(p, &d) < 0)
		return cancel(p, "out of memory");
	if (d.skip) {
		p->skipping = container;
		return 1;
	}
	if (d.member) {
		if (ev == EV_NULL)
			return 1; /* a null member is an absent one */
		top(p)->present |= UINT64_C(1) << (d.member - top(p)->type->fields);
	}
	if (d.nested)
		return mismatch(p, &d, container);
	if (d.kind == OCI_JSON)
		return begin_capture(p, &d, ev, s, len, b);
	if (container)
		return open_container(p, &d, ev == EV_OPEN_ARRAY);
	switch (d.kind) {
	case OCI_STRING:
		if (ev != EV_STRING)
			break;
		if ((*(char **)d.slot = copy_text(s, len)) == NULL)
			return cancel(p, "out of memory");
		if (d.map) {
			d.map->len++;
			d.map->keys[d.map->len] = NULL; /* room was made with the key */
		}
		mark_has(&d);
		return 1;
	case OCI_BOOL:
		if (ev != EV_BOOL)
			break;
		*(bool *)d.slot = b;
		mark_has(&d);
		return 1;
	case OCI_INT32:
	case OCI_UINT32:
	case OCI_INT64:
	case OCI_UINT64:
		if (ev != EV_NUMBER)
			break;
		return store_integer(p, &d, s, len);
	case OCI_DOUBLE: {
		char small[64], *raw = small;
		if (ev != EV_NUMBER)
			break;
		if (len >= sizeof(small) && (raw = malloc(len + 1)) == NULL)
			return cancel(p, "out of memory");
		memcpy(raw, s, len);
		raw[len] = '\0';
		*(double *)d.slot = strtod(raw, NULL);
		if (raw != small)
			free(raw);
		mark_has(&d);
		return 1;
	}
	default:
		break;
	}
	return mismatch(p, &d, false);
}

/* yajl hands strings over decoded: a \u0000 escape would cut the C string short. */
static int check_text(struct parser *p, const void *s, size_t len)
{
	uintptr_t at = (uintptr_t)s;

	/* A string without escapes is handed over where it stands in the text, which has no NUL
	 * (oci_parse checked); only one decoded into yajl's buffer can hold one. */
	if (at >= p->text && at < p->text_end)
		return 1;
	if (len > 0 && memchr(s, '\0', len))
		return cancel(p, "invalid JSON: string contains \\u0000");
	return 1;
}

static int on_null(void *ctx)
{
	return on_value(ctx, EV_NULL, NULL, 0, 0);
}

static int on_boolean(void *ctx, int b)
{
	return on_value(ctx, EV_BOOL, NULL, 0, b);
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return on_value(ctx, EV_NUMBER, s, len, 0);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return check_text(ctx, s, len) && on_value(ctx, EV_STRING, (const char *)s, len, 0);
}

static int on_open(void *ctx, enum event ev)
{
	struct parser *p = ctx;

	if (++p->nesting > MAX_DEPTH)
		return cancel(p, "invalid JSON: nested deeper than 256 levels");
	return on_value(p, ev, NULL, 0, 0);
}

static int on_start_map(void *ctx)
{
	return on_open(ctx, EV_OPEN_MAP);
}

static int on_start_array(void *ctx)
{
	return on_open(ctx, EV_OPEN_ARRAY);
}

/* The member of `fr`'s table named by the key, or NULL. Members usually come in table order,
 * so the search starts after the last one found. */
static const struct oci_field *find_member(struct frame *fr, const char *key, size_t len)
{
	const struct oci_field *fields = fr->type->fields, *f;

	if (len == 0)
		return NULL;
	for (f = fields + fr->next; f->name; f++)
		if (f->name[0] == key[0] && strncmp(f->name, key, len) == 0 && f->name[len] == '\0')
			goto found;
	for (f = fields; f < fields + fr->next; f++)
		if (f->name[0] == key[0] && strncmp(f->name, key, len) == 0 && f->name[len] == '\0')
			goto found;
	return NULL;
found:
	fr->next = (size_t)(f - fields) + 1;
	return f;
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
	struct parser *p = ctx;
	struct frame *fr;

	if (!check_text(p, key, len))
		return 0;
	if (p->skipping)
		return 1;
	if (p->capture_slot)
		return capture_event(p, EV_KEY, (const char *)key, len, 0);
	fr = top(p);
	switch (fr->kind) {
	case FRAME_OBJECT: {
		const struct oci_field *f = find_member(fr, (const char *)key, len);
		uint64_t bit;
		fr->member = NULL;
		if (f == NULL)
			return 1;
		/* A table holds at most 64 members (ocispec.h). */
		assert(f - fr->type->fields < 64);
		bit = UINT64_C(1) << (f - fr->type->fields);
		if (fr->seen & bit)
			return 1; /* a repeated member: the first one counts */
		fr->seen |= bit;
		fr->member = f;
		return 1;
	}
	case FRAME_MAP: {
		struct oci_map *m = fr->base;
		size_t cap = fr->cap;
		/* The key waits at keys[len] for its value; keys[len + 1] ends the array. */
		if (reserve((void **)&m->keys, &cap, m->len + 2, sizeof(char *)) < 0 ||
		    reserve((void **)&m->values, &fr->cap, m->len + 2, sizeof(char *)) < 0)
			return cancel(p, "out of memory");
		fr->count++;
		if ((m->keys[m->len] = copy_text(key, len)) == NULL)
			return cancel(p, "out of memory");
		return 1;
	}
	case FRAME_KEYED: {
		const struct oci_field *f = fr->field;
		void **items = (void **)AT(fr->base, f->offset);
		size_t *n = (size_t *)AT(fr->base, f->aux_offset), size = fr->size;
		if (reserve(items, &fr->cap, fr->count + 2, size) < 0)
			return cancel(p, "out of memory");
		*n = ++fr->count;
		/* Each element's first member holds its key. */
		if ((*(char **)((char *)*items + (fr->count - 1) * size) = copy_text(key, len)) ==
		    NULL)
			return cancel(p, "out of memory");
		return 1;
	}
	case FRAME_ARRAY:
		break;
	}
	return 1;
}

/* The innermost object is complete: report the first required member it lacks. */
static int close_object(struct parser *p, struct frame *fr)
{
	const struct oci_field *f;

	for (f = fr->type->fields; f->name; f++)
		if ((f->flags & OCI_REQUIRED) &&
		    !(fr->present & (UINT64_C(1) << (f - fr->type->fields))))
			return fail(p, f, "is required");
	return 1;
}

static int on_close(void *ctx, enum event ev)
{
	struct parser *p = ctx;
	struct frame *fr;
	int r = 1;

	p->nesting--;
	if (p->skipping) {
		p->skipping--;
		return 1;
	}
	if (p->capture_slot)
		return capture_event(p, ev, NULL, 0, 0);
	fr = top(p);
	switch (fr->kind) {
	case FRAME_OBJECT:
		r = close_object(p, fr);
		break;
	case FRAME_ARRAY:
	case FRAME_KEYED:
		shrink((void **)AT(fr->base, fr->field->offset), fr->cap, fr->count, fr->size);
		break;
	case FRAME_MAP: {
		struct oci_map *m = fr->base;
		shrink((void **)&m->keys, fr->cap, m->len, sizeof(char *));
		shrink((void **)&m->values, fr->cap, m->len, sizeof(char *));
		break;
	}
	}
	p->depth--;
	return r;
}

static int on_end_map(void *ctx)
{
	return on_close(ctx, EV_CLOSE_MAP);
}

static int on_end_array(void *ctx)
{
	return on_close(ctx, EV_CLOSE_ARRAY);
}

static const yajl_callbacks parse_callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_boolean,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_map_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

/* ---- the document ----------------------------------------------------------------- */

/*
 * What was refused before yajl saw the text when it built a tree first, and so still comes
 * first: an empty document (yajl says "premature EOF"), nesting deeper than MAX_DEPTH and a
 * \u0000 escape. Strings and comments are skipped so brackets inside them do not count.
 * Only run once a parse has failed. Returns NULL when the text has none of these.
 */
static const char *precheck_json(const char *s, size_t len)
{
	size_t i, depth = 0;
	bool blank = true;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		blank = false;
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] != '\\')
					continue;
				if (i + 5 < len && strncmp(s + i + 1, "u0000", 5) == 0)
					return "string contains \\u0000";
				i++;
			}
		} else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			for (i += 2; i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'); i++)
				;
			i++;
		} else if (c == '[' || c == '{') {
			if (++depth > MAX_DEPTH)
				return "nested deeper than 256 levels";
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return blank ? "empty document" : NULL;
}

/* yajl says "lexical error: invalid char in json text." and quotes the input on the next
 * lines; keep the first line without its category prefix and trailing period. */
static void tidy_yajl_error(char *msg)
{
	static const char *const prefixes[] = { "lexical error: ", "parse error: " };
	size_t i, n;

	msg[strcspn(msg, "\n")] = '\0';
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (strncmp(msg, prefixes[i], n) == 0) {
			memmove(msg, msg + n, strlen(msg + n) + 1);
			break;
		}
	}
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '.' || msg[n - 1] == ' '))
		msg[--n] = '\0';
}

static int report(char **err, const char *source, const char *what)
{
	if (err && asprintf(err, "%s: %s", source, what) < 0)
		*err = NULL;
	return -1;
}

/* Everything a failed or finished parse still holds, the document aside. */
static void parser_release(struct parser *p)
{
	size_t i;

	/* A map's key that never got its value is not counted in len: oci_free cannot see it. */
	for (i = 0; i < p->depth; i++) {
		if (p->frames[i].kind == FRAME_MAP) {
			struct oci_map *m = p->frames[i].base;
			free(m->keys[m->len]);
			m->keys[m->len] = NULL;
		}
	}
	free(p->capture_text.buf);
	if (p->capture)
		yajl_gen_free(p->capture);
	if (p->frames != p->inline_frames)
		free(p->frames);
	free(p->error);
	free(p->rank);
}

int oci_parse(const struct oci_type *type, const char *json, size_t len, const char *source,
	      void **out, char **err)
{
	struct parser p = { .type = type, .source = source ? source : "document" };
	const char *problem;
	yajl_handle h;
	yajl_status st;
	int r = -1;

	p.frames = p.inline_frames;
	*out = NULL;
	if (err)
		*err = NULL;
	/* An embedded NUL is not JSON; yajl would read it as the end of the text. */
	if (len > 0 && memchr(json, '\0', len))
		return report(err, p.source, "invalid JSON: unexpected NUL byte");
	p.text = (uintptr_t)json;
	p.text_end = p.text + len;
	if ((p.root = calloc(1, type->size)) == NULL)
		return report(err, p.source, "out of memory");
	if ((h = yajl_alloc(&parse_callbacks, NULL, &p)) == NULL) {
		free(p.root);
		return report(err, p.source, "out of memory");
	}
	yajl_config(h, yajl_allow_comments, 1);
	st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok && p.error == NULL) {
		*out = p.root;
		p.root = NULL;
		r = 0;
	} else if ((problem = precheck_json(json, len)) != NULL) {
		char what[64];
		snprintf(what, sizeof(what), "invalid JSON: %s", problem);
		report(err, p.source, what);
	} else if (p.fatal) {
		report(err, p.source, p.fatal);
	} else if (st != yajl_status_ok) {
		char *yerr = (char *)yajl_get_error(h, 0, (const unsigned char *)json, len), *what;
		if (yerr)
			tidy_yajl_error(yerr);
		if (asprintf(&what, "invalid JSON: %s", yerr && *yerr ? yerr : "parse error") < 0)
			what = NULL;
		report(err, p.source, what ? what : "out of memory");
		free(what);
		if (yerr)
			yajl_free_error(h, (unsigned char *)yerr);
	} else if (err) {
		*err = p.error;
		p.error = NULL;
	}
	parser_release(&p);
	yajl_free(h);
	oci_free(type, p.root);
	return r;
}

/*
 * Read a whole file into one malloc'ed buffer. A regular file is read with one read() into a
 * buffer of its size plus one byte: a short read is the end of the file, and only a file that
 * grew since fstat() fills the spare byte. Anything else (/proc files that report size 0,
 * pipes) and a growing file continue with a buffer that doubles. Growing a buffer in fixed
 * steps and always once more past the data, as stdio reading does, made every parse copy and
 * fault in pages it never needed.
 */
int oci_read_file(const char *path, char **out, size_t *out_len, char **err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd, e;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail_errno;
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	for (;;) {
		ssize_t n;

		if (len == cap || buf == NULL) {
			char *nb;
			if (buf != NULL)
				cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				close(fd);
				return report(err, path, "out of memory");
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			free(buf);
			close(fd);
			if (err && asprintf(err, "%s: read: %s", path, strerror(e)) < 0)
				*err = NULL;
			return -1;
		}
		len += (size_t)n;
		if (n == 0 || (S_ISREG(st.st_mode) && len == (size_t)st.st_size && len < cap))
			break;
	}
	close(fd);
	buf[len] = '\0'; /* the loop above always leaves room for it */
	*out = buf;
	*out_len = len;
	return 0;

fail_errno:
	e = errno;
	if (fd >= 0)
		close(fd);
	return report(err, path, strerror(e));
}

int oci_parse_file(const struct oci_type *type, const char *path, void **out, char **err)
{
	char *buf;
	size_t len;
	int r;

	*out = NULL;
	if (oci_read_file(path, &buf, &len, err) < 0)
		return -1;
	r = oci_parse(type, buf, len, path, out, err);
	free(buf);
	return r;
}
