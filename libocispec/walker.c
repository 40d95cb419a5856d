/*
 * The generic walker: parse, generate and free any document described by a struct oci_type.
 * Parsing goes through yajl_tree so a syntax error is reported with yajl's position before
 * any struct is touched; type errors carry the JSON path of the offending value.
 * This file must stay independent of Linux and of berth's runtime.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ocispec.h"

#define AT(base, off) ((char *)(base) + (off))

/* The JSON path being walked, as text ("linux.resources.devices[2].type"). */
struct path {
	char buf[512];
	size_t len;
};

static size_t path_push_member(struct path *p, const char *name)
{
	size_t old = p->len;
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "",
			 name);
	if (n > 0)
		p->len = (p->len + n < sizeof(p->buf)) ? p->len + n : sizeof(p->buf) - 1;
	return old;
}

static size_t path_push_index(struct path *p, size_t i)
{
	size_t old = p->len;
	int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", i);
	if (n > 0)
		p->len = (p->len + n < sizeof(p->buf)) ? p->len + n : sizeof(p->buf) - 1;
	return old;
}

/* A user-chosen key (map, keyed array): bare when it reads unambiguously after a dot,
 * quoted otherwise, so `linux.sysctl["net.ipv4.ip_forward"]` cannot be misread as a nested
 * path and a key holding a newline cannot split the one-line message. */
static size_t path_push_key(struct path *p, const char *key)
{
	size_t old = p->len, i, end = sizeof(p->buf) - 1;
	bool bare = key[0] != '\0';

	for (i = 0; key[i]; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_' || key[i] == '-'))
			bare = false;
	if (bare)
		return path_push_member(p, key);
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
	return old;
}

static void path_pop(struct path *p, size_t old)
{
	p->len = old;
	p->buf[old] = '\0';
}

struct walk {
	const char *source;
	struct path path;
	char **err;
};

static int walk_fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int walk_fail(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	char *what = NULL;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (w->err) {
		if (asprintf(w->err, "%s: %s%s%s", w->source, w->path.len ? w->path.buf : "",
			     w->path.len ? ": " : "", what ? what : "out of memory") < 0)
			*w->err = NULL;
	}
	free(what);
	return -1;
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

static size_t elem_size(const struct oci_field *f)
{
	switch (f->elem) {
	case OCI_STRING:
	case OCI_JSON:
		return sizeof(char *);
	case OCI_BOOL:
		return sizeof(bool);
	case OCI_INT32:
	case OCI_UINT32:
		return sizeof(uint32_t);
	case OCI_INT64:
	case OCI_UINT64:
		return sizeof(uint64_t);
	case OCI_DOUBLE:
		return sizeof(double);
	case OCI_OBJECT:
		return f->type->size;
	case OCI_MAP:
		return sizeof(struct oci_map);
	case OCI_ARRAY:
		break;
	}
	return 0;
}

/* ---- parsing ------------------------------------------------------------------------ */

static int parse_object(struct walk *w, const struct oci_type *type, yajl_val v, void *out);
static int parse_value(struct walk *w, enum oci_kind kind, const struct oci_type *type,
		       yajl_val v, void *slot);

static int json_text(yajl_val v, char **out);

/* Integers: yajl keeps the raw text, so values beyond long long still parse exactly. */
static int parse_integer(struct walk *w, enum oci_kind kind, yajl_val v, void *slot)
{
	const char *raw;
	char *end;

	if (!YAJL_IS_NUMBER(v) || !YAJL_IS_INTEGER(v)) {
		if (!YAJL_IS_NUMBER(v) || strpbrk(v->u.number.r, ".eE"))
			return walk_fail(w, "expected %s", kind_name(kind));
	}
	raw = v->u.number.r;
	errno = 0;
	if (kind == OCI_UINT64 || kind == OCI_UINT32) {
		unsigned long long u;
		if (raw[0] == '-')
			return walk_fail(w, "expected %s, got %s", kind_name(kind), raw);
		u = strtoull(raw, &end, 10);
		if (errno || *end || (kind == OCI_UINT32 && u > UINT32_MAX))
			return walk_fail(w, "%s is out of range for %s", raw, kind_name(kind));
		if (kind == OCI_UINT32)
			*(uint32_t *)slot = (uint32_t)u;
		else
			*(uint64_t *)slot = u;
	} else {
		long long s = strtoll(raw, &end, 10);
		if (errno || *end || (kind == OCI_INT32 && (s < INT32_MIN || s > INT32_MAX)))
			return walk_fail(w, "%s is out of range for %s", raw, kind_name(kind));
		if (kind == OCI_INT32)
			*(int32_t *)slot = (int32_t)s;
		else
			*(int64_t *)slot = s;
	}
	return 0;
}

static int parse_map(struct walk *w, yajl_val v, struct oci_map *map)
{
	size_t i;

	if (!YAJL_IS_OBJECT(v))
		return walk_fail(w, "expected object");
	map->keys = calloc(v->u.object.len + 1, sizeof(char *));
	map->values = calloc(v->u.object.len + 1, sizeof(char *));
	if (!map->keys || !map->values)
		return walk_fail(w, "out of memory");
	for (i = 0; i < v->u.object.len; i++) {
		size_t old = path_push_key(&w->path, v->u.object.keys[i]);
		yajl_val item = v->u.object.values[i];
		if (!YAJL_IS_STRING(item))
			return walk_fail(w, "expected string");
		path_pop(&w->path, old);
		map->keys[map->len] = strdup(v->u.object.keys[i]);
		map->values[map->len] = strdup(item->u.string);
		map->len++;
		if (!map->keys[map->len - 1] || !map->values[map->len - 1])
			return walk_fail(w, "out of memory");
	}
	return 0;
}

static int parse_keyed(struct walk *w, const struct oci_field *f, yajl_val v, void *slot,
		       size_t *len)
{
	size_t i, size = f->type->size;
	char *items;

	if (!YAJL_IS_OBJECT(v))
		return walk_fail(w, "expected object");
	items = calloc(v->u.object.len + 1, size);
	if (items == NULL)
		return walk_fail(w, "out of memory");
	*(void **)slot = items;
	for (i = 0; i < v->u.object.len; i++) {
		size_t old = path_push_key(&w->path, v->u.object.keys[i]);
		char **key = (char **)(items + i * size);
		*len = i + 1;
		if ((*key = strdup(v->u.object.keys[i])) == NULL)
			return walk_fail(w, "out of memory");
		if (parse_object(w, f->type, v->u.object.values[i], items + i * size) < 0)
			return -1;
		path_pop(&w->path, old);
	}
	return 0;
}

static int parse_array(struct walk *w, const struct oci_field *f, yajl_val v, void *slot,
		       size_t *len)
{
	size_t i, size = elem_size(f);
	char *items;

	if (!YAJL_IS_ARRAY(v))
		return walk_fail(w, "expected array");
	/* One spare element keeps string arrays NULL-terminated for execve() and friends. */
	items = calloc(v->u.array.len + 1, size);
	if (items == NULL)
		return walk_fail(w, "out of memory");
	*(void **)slot = items;
	for (i = 0; i < v->u.array.len; i++) {
		size_t old = path_push_index(&w->path, i);
		*len = i + 1; /* counted first so a half-parsed element is still freed */
		if (f->elem == OCI_OBJECT) {
			if (parse_object(w, f->type, v->u.array.values[i], items + i * size) < 0)
				return -1;
		} else if (parse_value(w, f->elem, f->type, v->u.array.values[i],
				       items + i * size) < 0) {
			return -1;
		}
		path_pop(&w->path, old);
	}
	return 0;
}

static int parse_value(struct walk *w, enum oci_kind kind, const struct oci_type *type,
		       yajl_val v, void *slot)
{
	switch (kind) {
	case OCI_STRING:
		if (!YAJL_IS_STRING(v))
			return walk_fail(w, "expected string");
		if ((*(char **)slot = strdup(v->u.string)) == NULL)
			return walk_fail(w, "out of memory");
		return 0;
	case OCI_BOOL:
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			return walk_fail(w, "expected boolean");
		*(bool *)slot = YAJL_IS_TRUE(v);
		return 0;
	case OCI_INT32:
	case OCI_UINT32:
	case OCI_INT64:
	case OCI_UINT64:
		return parse_integer(w, kind, v, slot);
	case OCI_DOUBLE:
		if (!YAJL_IS_NUMBER(v))
			return walk_fail(w, "expected number");
		*(double *)slot = YAJL_GET_DOUBLE(v);
		return 0;
	case OCI_OBJECT: {
		void *child = calloc(1, type->size);
		if (child == NULL)
			return walk_fail(w, "out of memory");
		*(void **)slot = child;
		return parse_object(w, type, v, child);
	}
	case OCI_MAP:
		return parse_map(w, v, slot);
	case OCI_JSON:
		if (json_text(v, slot) < 0)
			return walk_fail(w, "out of memory");
		return 0;
	case OCI_ARRAY:
		break;
	}
	return walk_fail(w, "nested arrays are not supported");
}

static int parse_object(struct walk *w, const struct oci_type *type, yajl_val v, void *out)
{
	const struct oci_field *f;

	if (!YAJL_IS_OBJECT(v))
		return walk_fail(w, "expected %s", type->name ? type->name : "object");
	for (f = type->fields; f->name; f++) {
		const char *keypath[] = { f->name, NULL };
		yajl_val item = yajl_tree_get(v, keypath, yajl_t_any);
		size_t old = path_push_member(&w->path, f->name);
		int r;

		if (item == NULL || YAJL_IS_NULL(item)) {
			if (f->flags & OCI_REQUIRED)
				return walk_fail(w, "is required");
			path_pop(&w->path, old);
			continue;
		}
		if (f->kind == OCI_ARRAY && (f->flags & OCI_KEYED))
			r = parse_keyed(w, f, item, AT(out, f->offset), (size_t *)AT(out, f->aux_offset));
		else if (f->kind == OCI_ARRAY)
			r = parse_array(w, f, item, AT(out, f->offset), (size_t *)AT(out, f->aux_offset));
		else
			r = parse_value(w, f->kind, f->type, item, AT(out, f->offset));
		if (r < 0)
			return -1;
		if (f->kind != OCI_ARRAY && f->aux_offset != OCI_NONE)
			*(bool *)AT(out, f->aux_offset) = true;
		path_pop(&w->path, old);
	}
	return 0;
}

/* yajl_tree builds and frees the tree recursively, so a few megabytes of "[[[[..." would
 * overflow the stack. No OCI document nests anywhere near this deep. */
#define MAX_DEPTH 256

/*
 * What yajl_tree cannot be trusted with: an empty document (reported as "premature EOF"),
 * nesting deeper than MAX_DEPTH and a \u0000 escape, which its C strings would cut short.
 * Strings and comments (yajl_tree allows them) are skipped so brackets inside them do not
 * count. Returns NULL when the text may go to yajl.
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
				/* yajl_tree hands strings back NUL-terminated: "sh\u0000x" would
				 * silently become "sh". */
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

int oci_parse(const struct oci_type *type, const char *json, size_t len, const char *source,
	      void **out, char **err)
{
	struct walk w = { .source = source ? source : "document", .err = err };
	char errbuf[256] = "";
	const char *problem;
	char *text;
	yajl_val tree;
	void *obj;

	*out = NULL;
	if (err)
		*err = NULL;
	/* yajl_tree_parse wants a NUL-terminated string; an embedded NUL is a syntax error. */
	if (len > 0 && memchr(json, '\0', len))
		return walk_fail(&w, "invalid JSON: unexpected NUL byte");
	if ((problem = precheck_json(json, len)) != NULL)
		return walk_fail(&w, "invalid JSON: %s", problem);
	text = strndup(json, len);
	if (text == NULL)
		return walk_fail(&w, "out of memory");
	tree = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	free(text);
	if (tree == NULL) {
		tidy_yajl_error(errbuf);
		return walk_fail(&w, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
	}
	obj = calloc(1, type->size);
	if (obj == NULL) {
		yajl_tree_free(tree);
		return walk_fail(&w, "out of memory");
	}
	if (parse_object(&w, type, tree, obj) < 0) {
		yajl_tree_free(tree);
		oci_free(type, obj);
		return -1;
	}
	yajl_tree_free(tree);
	*out = obj;
	return 0;
}

/*
 * Read a whole file into one malloc'ed buffer. A regular file is read with one read() into a
 * buffer of its size plus one byte: a short read is the end of the file, and only a file that
 * grew since fstat() fills the spare byte. Anything else (/proc files that report size 0,
 * pipes) and a growing file continue with a buffer that doubles. Growing a buffer in fixed
 * steps and always once more past the data, as stdio reading does, made every parse copy and
 * fault in pages it never needed.
 */
static int read_file(const char *path, char **out, size_t *out_len, char **err)
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
				if (err && asprintf(err, "%s: out of memory", path) < 0)
					*err = NULL;
				return -1;
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
	*out = buf;
	*out_len = len;
	return 0;

fail_errno:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (err && asprintf(err, "%s: %s", path, strerror(e)) < 0)
		*err = NULL;
	return -1;
}

int oci_parse_file(const struct oci_type *type, const char *path, void **out, char **err)
{
	char *buf;
	size_t len;
	int r;

	*out = NULL;
	if (read_file(path, &buf, &len, err) < 0)
		return -1;
	r = oci_parse(type, buf, len, path, out, err);
	free(buf);
	return r;
}

/* ---- generating --------------------------------------------------------------------- */

static int gen_object(yajl_gen g, const struct oci_type *type, const void *obj);

static int gen_string(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_raw_number(yajl_gen g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int gen_raw_number(yajl_gen g, const char *fmt, ...)
{
	char buf[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return yajl_gen_number(g, buf, n) == yajl_gen_status_ok ? 0 : -1;
}

/* Replay a kept JSON text (OCI_JSON) into the generator. */
static int gen_tree(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v))
		return gen_string(g, v->u.string);
	if (YAJL_IS_NUMBER(v))
		return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) ==
			       yajl_gen_status_ok ? 0 : -1;
	if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))
		return yajl_gen_bool(g, YAJL_IS_TRUE(v)) == yajl_gen_status_ok ? 0 : -1;
	if (YAJL_IS_NULL(v))
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
	if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			if (gen_tree(g, v->u.array.values[i]) < 0)
				return -1;
		return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
	}
	yajl_gen_map_open(g);
	for (i = 0; i < v->u.object.len; i++)
		if (gen_string(g, v->u.object.keys[i]) < 0 || gen_tree(g, v->u.object.values[i]) < 0)
			return -1;
	return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
}

static int json_text(yajl_val v, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;
	int r = -1;

	if (g == NULL)
		return -1;
	if (gen_tree(g, v) == 0 && yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		*out = strndup((const char *)buf, len);
		r = *out ? 0 : -1;
	}
	yajl_gen_free(g);
	return r;
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
		return gen_raw_number(g, "%" PRId32, *(const int32_t *)slot);
	case OCI_UINT32:
		return gen_raw_number(g, "%" PRIu32, *(const uint32_t *)slot);
	case OCI_INT64:
		return gen_raw_number(g, "%" PRId64, *(const int64_t *)slot);
	case OCI_UINT64:
		return gen_raw_number(g, "%" PRIu64, *(const uint64_t *)slot);
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
	case OCI_JSON: {
		char errbuf[128];
		yajl_val v = yajl_tree_parse(*(char *const *)slot, errbuf, sizeof(errbuf));
		int r;
		if (v == NULL)
			return -1;
		r = gen_tree(g, v);
		yajl_tree_free(v);
		return r;
	}
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
			size_t i, n = *(const size_t *)AT(obj, f->aux_offset), size = elem_size(f);
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

int oci_generate(const struct oci_type *type, const void *obj, bool pretty, char **json,
		 size_t *len, char **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t n;
	int r = -1;

	*json = NULL;
	if (err)
		*err = NULL;
	if (g == NULL)
		goto fail;
	yajl_gen_config(g, yajl_gen_beautify, pretty ? 1 : 0);
	if (pretty)
		yajl_gen_config(g, yajl_gen_indent_string, "\t");
	/* Keep '/' readable in paths: yajl escapes it only when asked. */
	yajl_gen_config(g, yajl_gen_escape_solidus, 0);
	if (gen_object(g, type, obj) < 0 || yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok)
		goto fail;
	*json = strndup((const char *)buf, n);
	if (*json == NULL)
		goto fail;
	if (len)
		*len = n;
	r = 0;
fail:
	if (g)
		yajl_gen_free(g);
	if (r < 0 && err && asprintf(err, "cannot generate JSON") < 0)
		*err = NULL;
	return r;
}

/* ---- freeing ------------------------------------------------------------------------ */

static void free_object_fields(const struct oci_type *type, void *obj);

static void free_value(enum oci_kind kind, const struct oci_type *type, void *slot)
{
	switch (kind) {
	case OCI_STRING:
	case OCI_JSON:
		free(*(char **)slot);
		break;
	case OCI_OBJECT:
		if (*(void **)slot) {
			free_object_fields(type, *(void **)slot);
			free(*(void **)slot);
		}
		break;
	case OCI_MAP: {
		struct oci_map *m = slot;
		size_t i;
		for (i = 0; i < m->len; i++) {
			free(m->keys[i]);
			free(m->values[i]);
		}
		free(m->keys);
		free(m->values);
		break;
	}
	default:
		break;
	}
}

static void free_object_fields(const struct oci_type *type, void *obj)
{
	const struct oci_field *f;

	for (f = type->fields; f->name; f++) {
		void *slot = AT(obj, f->offset);
		if (f->kind == OCI_ARRAY) {
			char *items = *(char **)slot;
			size_t i, n = *(size_t *)AT(obj, f->aux_offset), size = elem_size(f);
			if (items == NULL)
				continue;
			for (i = 0; i < n; i++) {
				if (f->flags & OCI_KEYED)
					free(*(char **)(items + i * size));
				if (f->elem == OCI_OBJECT)
					free_object_fields(f->type, items + i * size);
				else
					free_value(f->elem, f->type, items + i * size);
			}
			free(items);
		} else {
			free_value(f->kind, f->type, slot);
		}
	}
}

void oci_free(const struct oci_type *type, void *obj)
{
	if (obj == NULL)
		return;
	free_object_fields(type, obj);
	free(obj);
}

/* ---- maps --------------------------------------------------------------------------- */

const char *oci_map_get(const struct oci_map *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->len; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->values[i];
	return NULL;
}

int oci_map_set(struct oci_map *map, const char *key, const char *value)
{
	char **keys, **values, *k, *v;
	size_t i;

	for (i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i], key) == 0) {
			if ((v = strdup(value)) == NULL)
				return -1;
			free(map->values[i]);
			map->values[i] = v;
			return 0;
		}
	}
	keys = realloc(map->keys, (map->len + 2) * sizeof(char *));
	if (keys == NULL)
		return -1;
	map->keys = keys;
	values = realloc(map->values, (map->len + 2) * sizeof(char *));
	if (values == NULL)
		return -1;
	map->values = values;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -1;
	}
	map->keys[map->len] = k;
	map->values[map->len] = v;
	map->len++;
	map->keys[map->len] = map->values[map->len] = NULL;
	return 0;
}
