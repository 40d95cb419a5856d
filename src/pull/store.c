/*
 * The OCI image layout store. Every write is atomic and every read of a blob is checked, so a
 * crash or a concurrent pull can never leave a half blob or a torn index.json behind.
 * This file must never talk to a network and never follow a path outside the store.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "store.h"
#include "util.h"

#define LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"

static int mkdirat_p(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	char *p;

	if (copy == NULL)
		return -1;
	for (p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(copy, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Write a small file atomically: temp in the same directory, fsync, rename. */
static int write_file_atomic(int dirfd, const char *name, const char *buf, size_t len,
			     mode_t mode, struct berth_error **err)
{
	char tmp[NAME_MAX];
	_cleanup_close_ int fd = -1;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%d", name, (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return berth_fail_errno(err, errno, "create '%s'", tmp);
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0) {
			int e = errno;
			unlinkat(dirfd, tmp, 0);
			return berth_fail_errno(err, e, "write '%s'", tmp);
		}
		off += n;
	}
	if (fsync(fd) < 0 || renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return berth_fail_errno(err, e, "replace '%s'", name);
	}
	return 0;
}

int store_open(struct store *st, const char *dir, bool create, struct berth_error **err)
{
	memset(st, 0, sizeof(*st));
	st->fd = st->blobs_fd = st->gc_lock_fd = -1;
	st->dir = strdup(dir);
	if (st->dir == NULL)
		return berth_fail(err, "out of memory");
	if (create && mkdir_p(dir) < 0)
		goto fail_errno;
	st->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->fd < 0)
		goto fail_errno;
	if (create) {
		if (faccessat(st->fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    write_file_atomic(st->fd, "oci-layout", LAYOUT_JSON, strlen(LAYOUT_JSON), 0644,
				      err) < 0)
			goto fail;
		if (mkdirat_p(st->fd, "blobs") < 0 || mkdirat_p(st->fd, "blobs/sha256") < 0 ||
		    mkdirat_p(st->fd, "ingest") < 0)
			goto fail_errno;
	}
	st->blobs_fd = openat(st->fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (st->blobs_fd < 0) {
		if (errno == ENOENT) {
			store_close(st);
			return berth_fail_errno(err, ENOENT, "image store '%s'", dir);
		}
		goto fail_errno;
	}
	st->gc_lock_fd = openat(st->fd, "gc.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->gc_lock_fd < 0 && errno != EROFS && errno != EACCES)
		goto fail_errno;
	return 0;
fail_errno:
	berth_fail_errno(err, errno, "image store '%s'", dir);
fail:
	store_close(st);
	return -1;
}

void store_close(struct store *st)
{
	if (st->fd >= 0)
		close(st->fd);
	if (st->blobs_fd >= 0)
		close(st->blobs_fd);
	if (st->gc_lock_fd >= 0)
		close(st->gc_lock_fd);
	free(st->dir);
	memset(st, 0, sizeof(*st));
	st->fd = st->blobs_fd = st->gc_lock_fd = -1;
}

int store_lock_gc(struct store *st, bool exclusive, struct berth_error **err)
{
	if (st->gc_lock_fd < 0)
		return 0; /* a read-only store: nothing can collect it */
	while (flock(st->gc_lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR)
			return berth_fail_errno(err, errno, "lock image store '%s'", st->dir);
	return 0;
}

bool store_has_blob(struct store *st, const char *digest, int64_t size)
{
	struct stat sb;

	if (!digest_valid(digest))
		return false;
	if (fstatat(st->blobs_fd, digest + 7, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(sb.st_mode))
		return false;
	return size < 0 || sb.st_size == size;
}

int store_open_blob(struct store *st, const char *digest, struct berth_error **err)
{
	int fd;

	if (!digest_valid(digest))
		return berth_fail(err, "invalid digest '%s'", digest);
	fd = openat(st->blobs_fd, digest + 7, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return berth_fail_errno(err, errno, "blob %s", digest);
	return fd;
}

int store_read_blob(struct store *st, const char *digest, char **buf, size_t *len,
		    struct berth_error **err)
{
	_cleanup_close_ int fd = store_open_blob(st, digest, err);
	_cleanup_free_ char *data = NULL;
	char actual[DIGEST_LEN + 1];
	struct stat sb;
	size_t off = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0)
		return berth_fail_errno(err, errno, "blob %s", digest);
	if (sb.st_size > 64 * 1024 * 1024)
		return berth_fail(err, "blob %s: too large for a manifest or config (%lld bytes)",
				  digest, (long long)sb.st_size);
	data = malloc(sb.st_size + 1);
	if (data == NULL)
		return berth_fail(err, "out of memory");
	while (off < (size_t)sb.st_size) {
		ssize_t n = read(fd, data + off, sb.st_size - off);
		if (n <= 0)
			return berth_fail_errno(err, n < 0 ? errno : EIO, "read blob %s", digest);
		off += n;
	}
	data[off] = '\0';
	if (sha256_buffer(data, off, actual) < 0)
		return berth_fail(err, "out of memory");
	if (strcmp(actual, digest) != 0)
		return berth_fail(err, "blob %s in the store is corrupt (its content hashes to %s)",
				  digest, actual);
	*buf = steal_pointer(&data);
	*len = off;
	return 0;
}

int store_blob_begin(struct store *st, struct blob_writer *w, struct berth_error **err)
{
	char name[64];
	int fd;

	w->tmp_name = NULL;
	w->fd = openat(st->fd, "ingest", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (w->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return berth_fail_errno(err, errno, "create a temporary blob in '%s/ingest'", st->dir);
	/* Filesystems without O_TMPFILE: a named temporary renamed at commit. */
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "ingest/%d-%ld-%d", (int)getpid(), random(), i);
		fd = openat(st->fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0) {
			w->fd = fd;
			w->tmp_name = strdup(name);
			if (w->tmp_name == NULL) {
				store_blob_abort(st, w);
				return berth_fail(err, "out of memory");
			}
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	return berth_fail_errno(err, errno, "create a temporary blob in '%s/ingest'", st->dir);
}

int store_blob_reset(struct blob_writer *w)
{
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return -1;
	return 0;
}

int store_blob_commit(struct store *st, struct blob_writer *w, const char *digest,
		      struct berth_error **err)
{
	char proc[64];
	int r;

	if (!digest_valid(digest)) {
		store_blob_abort(st, w);
		return berth_fail(err, "invalid digest '%s'", digest);
	}
	if (w->tmp_name) {
		r = renameat(st->fd, w->tmp_name, st->blobs_fd, digest + 7);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
		r = linkat(AT_FDCWD, proc, st->blobs_fd, digest + 7, AT_SYMLINK_FOLLOW);
		/* A concurrent pull stored the same verified content first: that is success. */
		if (r < 0 && errno == EEXIST)
			r = 0;
	}
	if (r < 0) {
		int e = errno;
		store_blob_abort(st, w);
		return berth_fail_errno(err, e, "store blob %s", digest);
	}
	close(w->fd);
	w->fd = -1;
	free(w->tmp_name);
	w->tmp_name = NULL;
	return 0;
}

void store_blob_abort(struct store *st, struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp_name)
		unlinkat(st->fd, w->tmp_name, 0);
	free(w->tmp_name);
	w->tmp_name = NULL;
}

int store_put_blob(struct store *st, const char *digest, const char *buf, size_t len,
		   struct berth_error **err)
{
	char actual[DIGEST_LEN + 1];
	struct blob_writer w;
	size_t off = 0;

	if (sha256_buffer(buf, len, actual) < 0)
		return berth_fail(err, "out of memory");
	if (strcmp(actual, digest) != 0)
		return berth_fail(err, "blob %s: content hashes to %s", digest, actual);
	if (store_has_blob(st, digest, len))
		return 0;
	if (store_blob_begin(st, &w, err) < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(w.fd, buf + off, len - off);
		if (n < 0) {
			int e = errno;
			store_blob_abort(st, &w);
			return berth_fail_errno(err, e, "write blob %s", digest);
		}
		off += n;
	}
	return store_blob_commit(st, &w, digest, err);
}

/* ---- index.json --------------------------------------------------------------------- */

int store_load_index(struct store *st, struct oci_index **idx, struct berth_error **err)
{
	_cleanup_close_ int fd = openat(st->fd, "index.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ char *source = NULL;
	char *msg = NULL;
	size_t len = 0, cap = 0;
	void *out;

	*idx = NULL;
	if (fd < 0) {
		if (errno != ENOENT)
			return berth_fail_errno(err, errno, "%s/index.json", st->dir);
		*idx = calloc(1, sizeof(**idx));
		if (*idx == NULL)
			return berth_fail(err, "out of memory");
		(*idx)->schema_version = 2;
		return 0;
	}
	for (;;) {
		ssize_t n;
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);
			if (nb == NULL)
				return berth_fail(err, "out of memory");
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0)
			return berth_fail_errno(err, errno, "read %s/index.json", st->dir);
		if (n == 0)
			break;
		len += n;
	}
	if (asprintf(&source, "%s/index.json", st->dir) < 0)
		return berth_fail(err, "out of memory");
	if (oci_parse(&oci_index_type, buf, len, source, &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	*idx = out;
	return 0;
}

static int save_index(struct store *st, struct oci_index *idx, struct berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	char *msg = NULL;
	size_t len;

	idx->schema_version = 2;
	if (idx->media_type == NULL && (idx->media_type = strdup(OCI_MEDIA_INDEX)) == NULL)
		return berth_fail(err, "out of memory");
	/* An empty list must still be written as [] rather than omitted. */
	if (idx->manifests == NULL && (idx->manifests = calloc(1, sizeof(*idx->manifests))) == NULL)
		return berth_fail(err, "out of memory");
	if (oci_generate(&oci_index_type, idx, false, &json, &len, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	return write_file_atomic(st->fd, "index.json", json, len, 0644, err);
}

static int lock_index(struct store *st, struct berth_error **err)
{
	int fd = openat(st->fd, "index.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return berth_fail_errno(err, errno, "%s/index.lock", st->dir);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return berth_fail_errno(err, e, "lock %s/index.lock", st->dir);
		}
	}
	return fd;
}

static ssize_t find_entry(const struct oci_index *idx, const char *name)
{
	size_t i;

	for (i = 0; i < idx->manifests_len; i++) {
		const char *n = oci_map_get(&idx->manifests[i].annotations, ANNOTATION_REF_NAME);
		if (n && strcmp(n, name) == 0)
			return i;
	}
	return -1;
}

/* Deep copy through the walker: the tables know every pointer a descriptor owns. */
static int copy_descriptor(const struct oci_descriptor *src, struct oci_descriptor **dst,
			   struct berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	char *msg = NULL;
	size_t len;
	void *out;

	if (oci_generate(&oci_descriptor_type, src, false, &json, &len, &msg) < 0 ||
	    oci_parse(&oci_descriptor_type, json, len, "descriptor", &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	*dst = out;
	return 0;
}

int store_find(struct store *st, const char *name, struct oci_descriptor **desc,
	       struct berth_error **err)
{
	struct oci_index *idx;
	ssize_t i;
	int r = 0;

	*desc = NULL;
	if (store_load_index(st, &idx, err) < 0)
		return -1;
	i = find_entry(idx, name);
	if (i >= 0)
		r = copy_descriptor(&idx->manifests[i], desc, err);
	oci_free(&oci_index_type, idx);
	return r;
}

static void remove_entry(struct oci_index *idx, size_t i)
{
	struct oci_descriptor *shell = malloc(sizeof(*shell));

	/* oci_free frees a heap object: move the element into one so its fields go with it. */
	if (shell) {
		*shell = idx->manifests[i];
		oci_free(&oci_descriptor_type, shell);
	}
	memmove(&idx->manifests[i], &idx->manifests[i + 1],
		(idx->manifests_len - i - 1) * sizeof(*idx->manifests));
	idx->manifests_len--;
}

int store_tag(struct store *st, const char *name, const struct oci_descriptor *manifest,
	      const char *repo_digest, struct berth_error **err)
{
	_cleanup_close_ int lock = lock_index(st, err);
	struct oci_descriptor *copy = NULL, *grown;
	struct oci_index *idx = NULL;
	ssize_t i;
	int r = -1;

	if (lock < 0)
		return -1;
	if (store_load_index(st, &idx, err) < 0 || copy_descriptor(manifest, &copy, err) < 0)
		goto out;
	if (oci_map_set(&copy->annotations, ANNOTATION_REF_NAME, name) < 0 ||
	    oci_map_set(&copy->annotations, ANNOTATION_REPO_DIGEST, repo_digest) < 0) {
		berth_fail(err, "out of memory");
		goto out;
	}
	i = find_entry(idx, name);
	if (i >= 0)
		remove_entry(idx, i);
	grown = realloc(idx->manifests, (idx->manifests_len + 1) * sizeof(*grown));
	if (grown == NULL) {
		berth_fail(err, "out of memory");
		goto out;
	}
	idx->manifests = grown;
	idx->manifests[idx->manifests_len++] = *copy;
	free(copy);
	copy = NULL;
	r = save_index(st, idx, err);
out:
	oci_free(&oci_descriptor_type, copy);
	oci_free(&oci_index_type, idx);
	return r;
}

int store_untag(struct store *st, const char *name, struct berth_error **err)
{
	_cleanup_close_ int lock = lock_index(st, err);
	struct oci_index *idx = NULL;
	ssize_t i;
	int r;

	if (lock < 0 || store_load_index(st, &idx, err) < 0)
		return -1;
	i = find_entry(idx, name);
	if (i < 0) {
		oci_free(&oci_index_type, idx);
		return 0;
	}
	remove_entry(idx, i);
	r = save_index(st, idx, err);
	oci_free(&oci_index_type, idx);
	return r < 0 ? -1 : 1;
}

/* ---- garbage collection ------------------------------------------------------------- */

struct digest_set {
	char **items;
	size_t len, cap;
};

static bool set_has(const struct digest_set *s, const char *d)
{
	for (size_t i = 0; i < s->len; i++)
		if (strcmp(s->items[i], d) == 0)
			return true;
	return false;
}

static int set_add(struct digest_set *s, const char *d)
{
	if (set_has(s, d))
		return 0;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **n = realloc(s->items, cap * sizeof(char *));
		if (n == NULL)
			return -1;
		s->items = n;
		s->cap = cap;
	}
	if ((s->items[s->len] = strdup(d)) == NULL)
		return -1;
	s->len++;
	return 0;
}

static void set_free(struct digest_set *s)
{
	for (size_t i = 0; i < s->len; i++)
		free(s->items[i]);
	free(s->items);
}

/* Mark a manifest or index blob and everything it reaches. */
static int mark(struct store *st, const struct oci_descriptor *d, struct digest_set *live,
		int depth, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len, i;
	void *doc;
	int r = 0;

	if (set_add(live, d->digest) < 0)
		return berth_fail(err, "out of memory");
	if (depth > 4 || !d->media_type || !store_has_blob(st, d->digest, -1))
		return 0;
	bool is_index = strcmp(d->media_type, OCI_MEDIA_INDEX) == 0 ||
			strcmp(d->media_type, DOCKER_MEDIA_LIST) == 0;
	bool is_manifest = strcmp(d->media_type, OCI_MEDIA_MANIFEST) == 0 ||
			   strcmp(d->media_type, DOCKER_MEDIA_MANIFEST) == 0;
	if (!is_index && !is_manifest)
		return 0;
	if (store_read_blob(st, d->digest, &buf, &len, err) < 0)
		return -1;
	if (is_index) {
		struct oci_index *idx;
		if (oci_parse(&oci_index_type, buf, len, d->digest, &doc, NULL) < 0)
			return 0; /* unreadable: keep the blob, drop nothing else */
		idx = doc;
		for (i = 0; i < idx->manifests_len && r == 0; i++)
			if (store_has_blob(st, idx->manifests[i].digest, -1))
				r = mark(st, &idx->manifests[i], live, depth + 1, err);
		oci_free(&oci_index_type, idx);
	} else {
		struct oci_manifest *m;
		if (oci_parse(&oci_manifest_type, buf, len, d->digest, &doc, NULL) < 0)
			return 0;
		m = doc;
		if (set_add(live, m->config->digest) < 0)
			r = berth_fail(err, "out of memory");
		for (i = 0; i < m->layers_len && r == 0; i++)
			if (set_add(live, m->layers[i].digest) < 0)
				r = berth_fail(err, "out of memory");
		oci_free(&oci_manifest_type, m);
	}
	return r;
}

int store_gc(struct store *st, void (*deleted)(const char *digest, void *arg), void *arg,
	     struct berth_error **err)
{
	struct digest_set live = { 0 };
	struct oci_index *idx = NULL;
	struct dirent *de;
	DIR *dir = NULL;
	int fd, r = -1;

	if (store_load_index(st, &idx, err) < 0)
		return -1;
	for (size_t i = 0; i < idx->manifests_len; i++) {
		const char *repo = oci_map_get(&idx->manifests[i].annotations, ANNOTATION_REPO_DIGEST);
		if (mark(st, &idx->manifests[i], &live, 0, err) < 0)
			goto out;
		/* The index a tag came from is kept too, so a pull by that digest stays local. */
		if (repo && set_add(&live, repo) < 0) {
			berth_fail(err, "out of memory");
			goto out;
		}
	}
	fd = dup(st->blobs_fd);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		berth_fail_errno(err, errno, "%s/blobs/sha256", st->dir);
		goto out;
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		char digest[DIGEST_LEN + 8];
		if (de->d_name[0] == '.' || strlen(de->d_name) != 64)
			continue;
		snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
		if (set_has(&live, digest))
			continue;
		if (unlinkat(st->blobs_fd, de->d_name, 0) < 0 && errno != ENOENT) {
			berth_fail_errno(err, errno, "remove blob %s", digest);
			goto out;
		}
		if (deleted)
			deleted(digest, arg);
	}
	r = 0;
out:
	if (dir)
		closedir(dir);
	set_free(&live);
	oci_free(&oci_index_type, idx);
	return r;
}
