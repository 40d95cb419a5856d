/*
 * The compiled-filter cache used by seccomp.c: <root>/seccomp-cache/<hash>.bpf holds the
 * canonical profile it was compiled from, the warnings compiling it printed, and the BPF.
 * A lookup compares the stored profile byte for byte, so a hash collision is a miss, never a
 * wrong filter. The cache is an optimisation: failing to read or write it is never an error.
 */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct seccomp_blob {
	char *bpf; /* sock_filter instructions */
	size_t bpf_len;
	char *warnings; /* NUL-terminated, possibly empty */
};

/* On a hit fill *out (malloc'ed) and return true. */
bool seccomp_cache_lookup(const char *root, const char *key, size_t key_len,
			  struct seccomp_blob *out);
/* Store atomically (temporary file + rename); silently gives up on any failure. */
void seccomp_cache_store(const char *root, const char *key, size_t key_len,
			 const struct seccomp_blob *blob);
void seccomp_blob_clear(struct seccomp_blob *blob);

#endif
