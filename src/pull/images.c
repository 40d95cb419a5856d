/*
 * Listing and removing images. Sizes are the sum of the blobs an image uses (compressed
 * layers, config and manifest), which is what the store really holds; docker shows the
 * unpacked size instead.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "images.h"
#include "reference.h"
#include "util.h"

struct row {
	char *repo, *tag, *id, *created, *size;
	char *name;
};

static void human_size(char *buf, size_t len, double n)
{
	static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
	int u = 0;

	while (n >= 1000 && u < 4) {
		n /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", n, units[u]);
}

/* Go's units.HumanDuration, which docker uses for CREATED. */
static void human_age(char *buf, size_t len, const char *created)
{
	struct tm tm = { 0 };
	double s;
	time_t t;

	if (created == NULL || strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
		snprintf(buf, len, "N/A");
		return;
	}
	t = timegm(&tm);
	s = difftime(time(NULL), t);
	if (s < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (s < 2)
		snprintf(buf, len, "1 second ago");
	else if (s < 60)
		snprintf(buf, len, "%d seconds ago", (int)s);
	else if (s < 90)
		snprintf(buf, len, "About a minute ago");
	else if (s < 46 * 60)
		snprintf(buf, len, "%d minutes ago", (int)(s / 60 + 0.5));
	else if (s < 90 * 60)
		snprintf(buf, len, "About an hour ago");
	else if (s < 48 * 3600)
		snprintf(buf, len, "%d hours ago", (int)(s / 3600 + 0.5));
	else if (s < 14 * 86400)
		snprintf(buf, len, "%d days ago", (int)(s / 86400));
	else if (s < 90 * 86400)
		snprintf(buf, len, "%d weeks ago", (int)(s / (7 * 86400)));
	else if (s < 2 * 365 * 86400)
		snprintf(buf, len, "%d months ago", (int)(s / (30 * 86400)));
	else
		snprintf(buf, len, "%d years ago", (int)(s / (365 * 86400)));
}

/* The manifest and config behind one index.json entry. */
static int load_image(struct store *st, const struct oci_descriptor *d, struct oci_manifest **m,
		      struct oci_image_config **c, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	char *msg = NULL;
	size_t len;
	void *out;

	*m = NULL;
	*c = NULL;
	if (store_read_blob(st, d->digest, &buf, &len, err) < 0)
		return -1;
	if (oci_parse(&oci_manifest_type, buf, len, d->digest, &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	*m = out;
	free(buf);
	buf = NULL;
	if (store_read_blob(st, (*m)->config->digest, &buf, &len, err) < 0)
		return -1;
	if (oci_parse(&oci_image_config_type, buf, len, (*m)->config->digest, &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	*c = out;
	return 0;
}

static void split_name(const char *name, struct row *row)
{
	struct image_ref ref;
	struct berth_error *e = NULL;

	if (image_ref_parse(name, NULL, &ref, &e) < 0) {
		berth_error_free(e);
		row->repo = strdup(name);
		row->tag = strdup("<none>");
		return;
	}
	row->repo = image_ref_familiar_repo(ref.registry, ref.repository);
	row->tag = strdup(ref.digest ? "<none>" : ref.tag);
	image_ref_clear(&ref);
}

int images_list(struct store *st, bool quiet, struct berth_error **err)
{
	struct oci_index *idx;
	struct row *rows;
	size_t i, n = 0, w[4] = { 10, 3, 8, 7 };

	if (store_load_index(st, &idx, err) < 0)
		return -1;
	rows = calloc(idx->manifests_len + 1, sizeof(*rows));
	if (rows == NULL) {
		oci_free(&oci_index_type, idx);
		return berth_fail(err, "out of memory");
	}
	for (i = 0; i < idx->manifests_len; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		const char *name = oci_map_get(&d->annotations, ANNOTATION_REF_NAME);
		struct oci_manifest *m;
		struct oci_image_config *c;
		struct berth_error *e = NULL;
		char sz[32], age[64];
		double total;

		if (name == NULL)
			continue; /* an unnamed entry written by another tool */
		if (load_image(st, d, &m, &c, &e) < 0) {
			fprintf(stderr, "berth-pull: images: %s: %s\n", name, e->msg);
			berth_error_free(e);
			oci_free(&oci_manifest_type, m);
			continue;
		}
		total = d->size + m->config->size;
		for (size_t k = 0; k < m->layers_len; k++)
			total += m->layers[k].size;
		human_size(sz, sizeof(sz), total);
		human_age(age, sizeof(age), c->created);
		split_name(name, &rows[n]);
		rows[n].id = strndup(m->config->digest + 7, 12);
		rows[n].created = strdup(age);
		rows[n].size = strdup(sz);
		oci_free(&oci_manifest_type, m);
		oci_free(&oci_image_config_type, c);
		if (!rows[n].repo || !rows[n].tag || !rows[n].id || !rows[n].created || !rows[n].size)
			continue;
		w[0] = strlen(rows[n].repo) > w[0] ? strlen(rows[n].repo) : w[0];
		w[1] = strlen(rows[n].tag) > w[1] ? strlen(rows[n].tag) : w[1];
		w[3] = strlen(rows[n].created) > w[3] ? strlen(rows[n].created) : w[3];
		n++;
	}
	if (quiet) {
		for (i = 0; i < n; i++) {
			bool seen = false;
			for (size_t k = 0; k < i; k++)
				seen = seen || strcmp(rows[k].id, rows[i].id) == 0;
			if (!seen)
				printf("%s\n", rows[i].id);
		}
	} else {
		/* docker's tabwriter: columns padded to the widest cell plus three spaces. */
		printf("%-*s   %-*s   %-*s   %-*s   %s\n", (int)w[0], "REPOSITORY", (int)w[1], "TAG",
		       12, "IMAGE ID", (int)w[3], "CREATED", "SIZE");
		for (i = 0; i < n; i++)
			printf("%-*s   %-*s   %-*s   %-*s   %s\n", (int)w[0], rows[i].repo, (int)w[1],
			       rows[i].tag, 12, rows[i].id, (int)w[3], rows[i].created, rows[i].size);
	}
	for (i = 0; i <= n && i <= idx->manifests_len; i++) {
		free(rows[i].repo);
		free(rows[i].tag);
		free(rows[i].id);
		free(rows[i].created);
		free(rows[i].size);
	}
	free(rows);
	oci_free(&oci_index_type, idx);
	return 0;
}

static void print_deleted(const char *digest, void *arg)
{
	(void)arg;
	printf("Deleted: %s\n", digest);
}

/* Names whose image ID (config digest) starts with `prefix`. */
static int names_by_id(struct store *st, const char *prefix, char ***names, size_t *n,
		       struct berth_error **err)
{
	struct oci_index *idx;

	*names = NULL;
	*n = 0;
	if (store_load_index(st, &idx, err) < 0)
		return -1;
	for (size_t i = 0; i < idx->manifests_len; i++) {
		const char *name = oci_map_get(&idx->manifests[i].annotations, ANNOTATION_REF_NAME);
		_cleanup_free_ char *buf = NULL;
		struct oci_manifest *m = NULL;
		size_t len;
		void *out;

		if (name == NULL || store_read_blob(st, idx->manifests[i].digest, &buf, &len, NULL) < 0 ||
		    oci_parse(&oci_manifest_type, buf, len, "manifest", &out, NULL) < 0)
			continue;
		m = out;
		if (strncmp(m->config->digest + 7, prefix, strlen(prefix)) == 0) {
			char **nn = realloc(*names, (*n + 1) * sizeof(char *));
			if (nn) {
				*names = nn;
				if (((*names)[*n] = strdup(name)))
					(*n)++;
			}
		}
		oci_free(&oci_manifest_type, m);
	}
	oci_free(&oci_index_type, idx);
	return 0;
}

int images_remove(struct store *st, const char *name, const char *default_registry,
		  struct berth_error **err)
{
	struct image_ref ref;
	_cleanup_free_ char *canonical = NULL, *familiar = NULL;
	char **names = NULL;
	size_t n = 0, i;
	int r;

	if (store_lock_gc(st, true, err) < 0)
		return -1;
	if (image_ref_parse(name, default_registry, &ref, err) == 0) {
		canonical = image_ref_canonical(&ref);
		familiar = image_ref_familiar(&ref);
		image_ref_clear(&ref);
		if (!canonical || !familiar)
			return berth_fail(err, "out of memory");
		r = store_untag(st, canonical, err);
		if (r < 0)
			return -1;
		if (r > 0) {
			printf("Untagged: %s\n", familiar);
			return store_gc(st, print_deleted, NULL, err);
		}
	} else {
		berth_error_free(*err);
		*err = NULL;
	}
	/* Not a name in the store: maybe an image ID, as docker rmi accepts. */
	if (strlen(name) >= 4 && strspn(name, "0123456789abcdef") == strlen(name) &&
	    names_by_id(st, name, &names, &n, err) < 0)
		return -1;
	if (n == 0)
		return berth_fail(err, "no such image: %s", familiar ? familiar : name);
	for (i = 0; i < n; i++) {
		if (store_untag(st, names[i], err) < 0)
			break;
		struct image_ref r2;
		struct berth_error *e = NULL;
		if (image_ref_parse(names[i], NULL, &r2, &e) == 0) {
			_cleanup_free_ char *f = image_ref_familiar(&r2);
			printf("Untagged: %s\n", f ? f : names[i]);
			image_ref_clear(&r2);
		}
		berth_error_free(e);
	}
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(names);
	if (i < n)
		return -1;
	return store_gc(st, print_deleted, NULL, err);
}
