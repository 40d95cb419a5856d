/*
 * SHA-256 digests as the image-spec writes them ("sha256:<64 lower-case hex>"), computed with
 * OpenSSL's EVP interface so a blob is hashed while it streams. No I/O here.
 */
#ifndef PULL_DIGEST_H
#define PULL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#define DIGEST_LEN 71 /* "sha256:" + 64 hex */

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

/* Only sha256 is accepted: it is what every registry serves and all we can verify. */
bool digest_valid(const char *digest);
int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out[DIGEST_LEN + 1] and resets the context for reuse. */
void sha256_final(struct sha256 *h, char *out);
void sha256_free(struct sha256 *h);
int sha256_buffer(const void *buf, size_t len, char *out);

#endif
