/*
 * The SHA-256 helpers. A digest mismatch is the only defence against a lying registry or a
 * corrupting proxy, so every blob is hashed here and never taken from a response header.
 */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

bool digest_valid(const char *digest)
{
	size_t i;

	if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != DIGEST_LEN)
		return false;
	for (i = 7; i < DIGEST_LEN; i++) {
		char c = digest[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

int sha256_init(struct sha256 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return -1;
	}
	return 0;
}

void sha256_update(struct sha256 *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
}

void sha256_final(struct sha256 *h, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	EVP_DigestFinal_ex(h->ctx, md, &len);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < len && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
	out[DIGEST_LEN] = '\0';
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void sha256_free(struct sha256 *h)
{
	if (h->ctx)
		EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int sha256_buffer(const void *buf, size_t len, char *out)
{
	struct sha256 h;

	if (sha256_init(&h) < 0)
		return -1;
	sha256_update(&h, buf, len);
	sha256_final(&h, out);
	sha256_free(&h);
	return 0;
}
