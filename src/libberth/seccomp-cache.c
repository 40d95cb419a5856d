/*
 * The compiled seccomp filter cache (seccomp-cache.h). Entries are named by a 64-bit FNV-1a
 * hash of the canonical profile: a fast non-cryptographic hash is enough because the entry
 * also stores the whole canonical profile and a lookup compares it before trusting the BPF.
 * The state root is root-owned, but entries are still parsed defensively: a truncated or
 * foreign file is a miss. This file must never fail a container because of the cache.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seccomp-cache.h"
#include "util.h"

#define CACHE_DIR "seccomp-cache"
#define CACHE_MAGIC "berth-seccomp-cache 1\n"
/* Classic BPF programs are at most BPF_MAXINSNS (4096) instructions of 8 bytes. */
#define MAX_BPF (4096 * 8)
#define MAX_ENTRY (16u << 20)
/* The state root is usually tmpfs (memory): past this many entries (~20 KiB each for a
 * Docker-sized profile) the cache is emptied before the next one is stored. Real hosts use a
 * handful of profiles, so this only bounds a runaway of distinct ones. */
#define MAX_ENTRIES 128

static uint64_t fnv1a64(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static char *entry_path(const char *root, const char *key, size_t key_len)
{
	char *path;

	if (asprintf(&path, "%s/" CACHE_DIR "/%016llx.bpf", root,
		     (unsigned long long)fnv1a64(key, key_len)) < 0)
		return NULL;
	return path;
}

static int read_all(int fd, char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Entry layout: magic, then three sections each preceded by its uint64_t length: the key,
 * the warnings, the BPF. */
static bool take_section(const char **p, const char *end, const char **data, uint64_t *len)
{
	uint64_t n;

	if ((size_t)(end - *p) < sizeof(n))
		return false;
	memcpy(&n, *p, sizeof(n));
	*p += sizeof(n);
	if (n > (uint64_t)(end - *p))
		return false;
	*data = *p;
	*len = n;
	*p += n;
	return true;
}

bool seccomp_cache_lookup(const char *root, const char *key, size_t key_len,
			  struct seccomp_blob *out)
{
	_cleanup_free_ char *path = entry_path(root, key, key_len);
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	const char *p, *end, *k, *w, *b;
	uint64_t klen, wlen, blen;
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_ENTRY)
		return false;
	buf = malloc((size_t)st.st_size);
	if (buf == NULL || read_all(fd, buf, (size_t)st.st_size) < 0)
		return false;
	p = buf;
	end = buf + st.st_size;
	if ((size_t)(end - p) < strlen(CACHE_MAGIC) || memcmp(p, CACHE_MAGIC, strlen(CACHE_MAGIC)))
		return false;
	p += strlen(CACHE_MAGIC);
	if (!take_section(&p, end, &k, &klen) || !take_section(&p, end, &w, &wlen) ||
	    !take_section(&p, end, &b, &blen) || p != end)
		return false;
	if (klen != key_len || memcmp(k, key, key_len) != 0)
		return false; /* a collision or a stale entry: recompile and replace it */
	if (blen == 0 || blen % 8 != 0 || blen > MAX_BPF)
		return false;
	out->bpf = malloc(blen);
	out->warnings = strndup(w, wlen);
	if (out->bpf == NULL || out->warnings == NULL) {
		seccomp_blob_clear(out);
		return false;
	}
	memcpy(out->bpf, b, blen);
	out->bpf_len = blen;
	return true;
}

static bool is_entry(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".bpf") == 0;
}

static void trim_cache(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t count = 0;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		count += is_entry(e->d_name);
	if (count >= MAX_ENTRIES) {
		rewinddir(d);
		while ((e = readdir(d)) != NULL)
			if (is_entry(e->d_name))
				unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

void seccomp_cache_store(const char *root, const char *key, size_t key_len,
			 const struct seccomp_blob *blob)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -1;
	uint64_t klen = key_len, wlen = strlen(blob->warnings), blen = blob->bpf_len;

	if (asprintf(&dir, "%s/" CACHE_DIR, root) < 0) {
		dir = NULL;
		return;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return;
	trim_cache(dir);
	path = entry_path(root, key, key_len);
	if (path == NULL || asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0) {
		tmp = NULL;
		return;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write_all(fd, CACHE_MAGIC, strlen(CACHE_MAGIC)) < 0 ||
	    write_all(fd, &klen, sizeof(klen)) < 0 || write_all(fd, key, key_len) < 0 ||
	    write_all(fd, &wlen, sizeof(wlen)) < 0 || write_all(fd, blob->warnings, wlen) < 0 ||
	    write_all(fd, &blen, sizeof(blen)) < 0 || write_all(fd, blob->bpf, blen) < 0 ||
	    rename(tmp, path) < 0)
		unlink(tmp);
}

void seccomp_blob_clear(struct seccomp_blob *blob)
{
	free(blob->bpf);
	free(blob->warnings);
	memset(blob, 0, sizeof(*blob));
}
