/*
 * libFuzzer target: config.json through oci_parse, and the same bytes as an image config
 * (whose history is an OCI_JSON value kept as text). Whatever parses must also generate,
 * parse again and generate the identical text; whatever fails must fail with one non-empty
 * line that names the source. Any violation aborts so libFuzzer keeps the input as a crash.
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined; not part of the
 * automake build (it needs clang's fuzzer runtime).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz-config: %s: %s\n", what, detail ? detail : "(null)");
	abort();
}

static void check(const struct oci_type *type, const uint8_t *data, size_t size)
{
	void *obj = NULL, *again = NULL;
	char *err = NULL, *first = NULL, *second = NULL;
	size_t len = 0;

	if (oci_parse(type, (const char *)data, size, "config.json", &obj, &err) < 0) {
		if (obj != NULL)
			fail("failed parse returned an object", err);
		if (err == NULL || strncmp(err, "config.json: ", 13) != 0 || strchr(err, '\n'))
			fail("error is not one line naming config.json", err);
		free(err);
		return;
	}
	if (oci_generate(type, obj, false, &first, &len, &err) < 0)
		fail("parsed config does not generate", err);
	if (len != strlen(first))
		fail("generated length is wrong", first);
	if (oci_parse(type, first, len, "generated", &again, &err) < 0)
		fail("generated config does not parse", err);
	if (oci_generate(type, again, true, &second, NULL, &err) < 0)
		fail("re-parsed config does not generate", err);
	oci_free(type, again);
	again = NULL;
	/* Pretty output must mean the same document as the compact one. */
	if (oci_parse(type, second, strlen(second), "pretty", &again, &err) < 0)
		fail("pretty config does not parse", err);
	free(second);
	if (oci_generate(type, again, false, &second, NULL, &err) < 0)
		fail("pretty config does not generate", err);
	if (strcmp(first, second) != 0)
		fail("round trip is not stable", second);
	oci_free(type, again);
	oci_free(type, obj);
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(&oci_config_type, data, size);
	check(&oci_image_config_type, data, size);
	return 0;
}
