/*
 * bench/parse: what libocispec costs on one config.json, in page faults and instructions.
 *   bench/parse [--state] FILE [N]
 * Parses FILE (a config.json, or with --state a state.json) once from a fresh process and
 * reports the minor page faults (getrusage) that
 * oci_parse_file, oci_generate and oci_free each cost, and the heap they leave in use; then
 * repeats parse + generate + free N more times (default 0) so that callgrind can count
 * instructions per call:
 *   valgrind --tool=callgrind --toggle-collect=oci_parse_file bench/parse config.json 100
 * It measures only: it never writes files and needs no privileges.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime.h"

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static const struct oci_type *type = &oci_config_type;

static int round_once(const char *path, bool report)
{
	long f0, f1, f2, f3;
	size_t h0, h1, len = 0;
	char *err = NULL, *json = NULL;
	void *cfg = NULL;

	h0 = heap_in_use();
	f0 = minflt();
	if (oci_parse_file(type, path, &cfg, &err) < 0) {
		fprintf(stderr, "bench/parse: %s\n", err ? err : "out of memory");
		free(err);
		return -1;
	}
	f1 = minflt();
	h1 = heap_in_use();
	if (oci_generate(type, cfg, false, &json, &len, &err) < 0) {
		fprintf(stderr, "bench/parse: %s\n", err ? err : "out of memory");
		free(err);
		oci_free(type, cfg);
		return -1;
	}
	f2 = minflt();
	free(json);
	oci_free(type, cfg);
	f3 = minflt();
	if (report)
		printf("parse: %ld faults, %zu heap bytes kept; generate: %ld faults (%zu bytes); "
		       "free: %ld faults\n",
		       f1 - f0, h1 - h0, f2 - f1, len, f3 - f2);
	return 0;
}

int main(int argc, char **argv)
{
	long i, n;

	if (argc > 1 && strcmp(argv[1], "--state") == 0) {
		type = &oci_state_type;
		argv++;
		argc--;
	}
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench/parse [--state] FILE [N]\n");
		return 2;
	}
	n = argc == 3 ? atol(argv[2]) : 0;
	if (round_once(argv[1], true) < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (round_once(argv[1], false) < 0)
			return 1;
	return 0;
}
