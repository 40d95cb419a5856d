/*
 * Helpers shared by the libocispec unit tests: load a fixture from tests/unit/data and check
 * that a parsed document survives generate -> parse -> generate unchanged.
 * Test-only code: it may abort on allocation failure, it must never hide a failing check.
 */
#ifndef BERTH_OCI_TEST_H
#define BERTH_OCI_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec.h"
#include "tap.h"

#ifndef UNIT_DATA_DIR
#error "UNIT_DATA_DIR must name tests/unit/data"
static inline void parse_fails(const struct oci_type *type, const char *source, const char *json,
			       const char *want)
{
	parse_fails_n(type, source, json, strlen(json), want);
}

#endif

static inline char *data_path(const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", UNIT_DATA_DIR, name) < 0)
		abort();
	return path;
}

/* Parse a fixture, failing the test (and returning NULL) if it does not parse. */
static inline void *parse_fixture(const struct oci_type *type, const char *name)
{
	char *path = data_path(name), *err = NULL;
	void *obj = NULL;

	if (!ok(oci_parse_file(type, path, &obj, &err) == 0, "%s parses", name))
		diag("error: %s", err ? err : "(none)");
	free(err);
	free(path);
	return obj;
}

/*
 * generate(obj) -> parse -> generate must give the same text, compact and pretty. Returns the
 * re-parsed object (the caller checks its values too, then frees it), NULL on failure.
 */
static inline void *round_trip(const struct oci_type *type, const void *obj, const char *what)
{
	char *first = NULL, *second = NULL, *pretty = NULL, *err = NULL;
	void *again = NULL, *again_pretty = NULL;
	size_t len = 0;

	if (!ok(oci_generate(type, obj, false, &first, &len, &err) == 0, "%s: generates", what)) {
		diag("error: %s", err ? err : "(none)");
		goto out;
	}
	is_int((long long)len, (long long)strlen(first), "%s: generated length is reported", what);
	if (!ok(oci_parse(type, first, len, "generated", &again, &err) == 0,
		"%s: generated JSON parses again", what)) {
		diag("error: %s", err ? err : "(none)");
		goto out;
	}
	if (oci_generate(type, again, false, &second, NULL, &err) < 0)
		diag("error: %s", err ? err : "(none)");
	is_str(second, first, "%s: second generation is identical to the first", what);

	/* The pretty form is a different text for the same document. */
	if (oci_generate(type, obj, true, &pretty, NULL, &err) < 0)
		diag("error: %s", err ? err : "(none)");
	ok(pretty != NULL && strchr(pretty, '\n') != NULL, "%s: pretty output spans lines", what);
	free(second);
	second = NULL;
	if (pretty && oci_parse(type, pretty, strlen(pretty), "pretty", &again_pretty, &err) == 0)
		oci_generate(type, again_pretty, false, &second, NULL, &err);
	is_str(second, first, "%s: pretty output parses to the same document", what);
out:
	oci_free(type, again_pretty);
	free(first);
	free(second);
	free(pretty);
	free(err);
	return again;
}

/* Parse `len` bytes of `json` and expect exactly `want` as the error. */
static inline void parse_fails_n(const struct oci_type *type, const char *source,
				 const char *json, size_t len, const char *want)
{
	char *err = NULL;
	void *obj = NULL;
	int r = oci_parse(type, json, len, source, &obj, &err);

	ok(r == -1 && obj == NULL, "rejected: %s", want);
	is_str(err, want, "  with the exact message");
	oci_free(type, obj);
	free(err);
}

static inline void parse_fails(const struct oci_type *type, const char *source, const char *json,
			       const char *want)
{
	parse_fails_n(type, source, json, strlen(json), want);
}

#endif
