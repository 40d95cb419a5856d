/*
 * jsonw: see jsonw.h. It builds JSON text in memory; the caller writes it out in one go. It must
 * never emit invalid JSON: when anything goes wrong it marks the writer failed instead.
 */
#include "config.h"

#include "jsonw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(struct jsonw *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *buf = realloc(w->buf, cap);
		if (buf == NULL) {
			w->failed = true;
			return;
		}
		w->buf = buf;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void append_str(struct jsonw *w, const char *s)
{
	append(w, s, strlen(s));
}

/* Everything that is a value (or a key) starts here: it places the comma between members. */
static void begin_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->has_member[w->depth])
		append(w, ",", 1);
	w->has_member[w->depth] = true;
}

static void open_container(struct jsonw *w, const char *bracket)
{
	begin_value(w);
	append_str(w, bracket);
	if (w->depth + 1 >= JSONW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->depth++;
	w->has_member[w->depth] = false;
}

static void close_container(struct jsonw *w, const char *bracket)
{
	if (w->depth == 0) {
		w->failed = true;
		return;
	}
	w->depth--;
	append_str(w, bracket);
}

void jsonw_object_open(struct jsonw *w)
{
	open_container(w, "{");
}

void jsonw_object_close(struct jsonw *w)
{
	close_container(w, "}");
}

void jsonw_array_open(struct jsonw *w)
{
	open_container(w, "[");
}

void jsonw_array_close(struct jsonw *w)
{
	close_container(w, "]");
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF), or 0 when the byte at s does not start one.
 */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void jsonw_string_n(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	begin_value(w);
	append(w, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len = utf8_sequence_length(p + i, n - i);

		if (len == 0) {
			snprintf(esc, sizeof(esc), "\\udc%02x", c);
			append_str(w, esc);
			i++;
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c;
			append(w, esc, 2);
		} else if (c == '\n') {
			append(w, "\\n", 2);
		} else if (c == '\t') {
			append(w, "\\t", 2);
		} else if (c == '\r') {
			append(w, "\\r", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			append_str(w, esc);
		} else {
			append(w, s + i, len);
		}
		i += len;
	}
	append(w, "\"", 1);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	jsonw_string_n(w, s, strlen(s));
}

void jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_string(w, key);
	append(w, ":", 1);
	w->after_key = true;
}

void jsonw_int(struct jsonw *w, long long v)
{
	char num[32];

	begin_value(w);
	snprintf(num, sizeof(num), "%lld", v);
	append_str(w, num);
}

void jsonw_uint(struct jsonw *w, unsigned long long v)
{
	char num[32];

	begin_value(w);
	snprintf(num, sizeof(num), "%llu", v);
	append_str(w, num);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	begin_value(w);
	append_str(w, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	begin_value(w);
	append_str(w, "null");
}

void jsonw_free(struct jsonw *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}
