/*
 * The image store: an OCI image layout (oci-layout, index.json, blobs/sha256/) that skopeo and
 * umoci can read. index.json names each image with the annotation
 * org.opencontainers.image.ref.name set to its canonical reference
 * ("docker.io/library/hello-world:latest") and points at the platform manifest; the digest the
 * registry gave for the reference (an index's, when it had one) is kept in
 * io.berth.image.repo-digest.
 * Blobs appear only complete and verified (O_TMPFILE + linkat, or temp + rename); index.json is
 * replaced by rename under a lock. Pulls hold the store's gc lock shared, rmi holds it
 * exclusive, so a collection never deletes a blob a running pull has yet to tag.
 * This file must never talk to a network.
 */
#ifndef PULL_STORE_H
#define PULL_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "image.h"

#define STORE_DEFAULT_DIR "/var/lib/berth/images"
#define ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define ANNOTATION_REPO_DIGEST "io.berth.image.repo-digest"

struct store {
	char *dir;
	int fd;
	int blobs_fd;
	int gc_lock_fd;
};

struct blob_writer {
	int fd;
	char *tmp_name; /* NULL when the file is an unnamed O_TMPFILE */
};

int store_open(struct store *st, const char *dir, bool create, struct berth_error **err);
void store_close(struct store *st);
/* Serialise against garbage collection: shared for pulls, exclusive for rmi. */
int store_lock_gc(struct store *st, bool exclusive, struct berth_error **err);

bool store_has_blob(struct store *st, const char *digest, int64_t size);
int store_open_blob(struct store *st, const char *digest, struct berth_error **err);
/* Reads a whole blob and checks its digest again: the store's files are not trusted either. */
int store_read_blob(struct store *st, const char *digest, char **buf, size_t *len,
		    struct berth_error **err);
int store_put_blob(struct store *st, const char *digest, const char *buf, size_t len,
		   struct berth_error **err);

int store_blob_begin(struct store *st, struct blob_writer *w, struct berth_error **err);
int store_blob_reset(struct blob_writer *w);
/* Makes the (already verified) data visible as blobs/sha256/<hex>; closes the writer. */
int store_blob_commit(struct store *st, struct blob_writer *w, const char *digest,
		      struct berth_error **err);
void store_blob_abort(struct store *st, struct blob_writer *w);

/* index.json; a missing file is an empty index. */
int store_load_index(struct store *st, struct oci_index **idx, struct berth_error **err);
/* Look a name up; *desc is a copy to free with oci_free(&oci_descriptor_type, ...). */
int store_find(struct store *st, const char *name, struct oci_descriptor **desc,
	       struct berth_error **err);
/* Point `name` at `manifest` (a copy is stored with the two annotations). */
int store_tag(struct store *st, const char *name, const struct oci_descriptor *manifest,
	      const char *repo_digest, struct berth_error **err);
/* Remove `name`; returns 1 when it was there, 0 when not. */
int store_untag(struct store *st, const char *name, struct berth_error **err);
/* Delete every blob no name reaches; calls `deleted` for each. Needs the exclusive gc lock. */
int store_gc(struct store *st, void (*deleted)(const char *digest, void *arg), void *arg,
	     struct berth_error **err);

#endif
