/*
 * Pulling one image. Order matters for crash safety: layers and config are stored first, then
 * the manifest, then the index it came from, and only then is the name written to index.json,
 * so a name never points at something missing. Every manifest is hashed here and compared
 * with the digest that named it; the registry's Docker-Content-Digest header is never read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "digest.h"
#include "pull.h"
#include "util.h"

void host_platform(const char **os, const char **arch, const char **variant)
{
	static struct utsname u;
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
		{ "x86_64", "amd64", NULL },   { "aarch64", "arm64", "v8" }, { "armv7l", "arm", "v7" },
		{ "armv6l", "arm", "v6" },     { "i686", "386", NULL },      { "i386", "386", NULL },
		{ "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },   { "riscv64", "riscv64", NULL },
	};

	*os = "linux";
	*arch = "amd64";
	*variant = NULL;
	if (uname(&u) < 0)
		return;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(u.machine, map[i].machine) == 0) {
			*arch = map[i].arch;
			*variant = map[i].variant;
			return;
		}
	}
	*arch = u.machine;
}

static bool is_index_type(const char *t)
{
	return t && (strcmp(t, OCI_MEDIA_INDEX) == 0 || strcmp(t, DOCKER_MEDIA_LIST) == 0);
}

static bool is_manifest_type(const char *t)
{
	return t && (strcmp(t, OCI_MEDIA_MANIFEST) == 0 || strcmp(t, DOCKER_MEDIA_MANIFEST) == 0);
}

static bool is_schema1_type(const char *t)
{
	return t && (strcmp(t, DOCKER_MEDIA_SCHEMA1) == 0 || strcmp(t, DOCKER_MEDIA_SCHEMA1_SIGNED) == 0);
}

static bool is_foreign_layer(const char *t)
{
	return strcmp(t, DOCKER_MEDIA_FOREIGN) == 0 || strncmp(t, OCI_MEDIA_LAYER_NONDIST,
							       strlen(OCI_MEDIA_LAYER_NONDIST)) == 0;
}

static bool is_layer_type(const char *t)
{
	return strcmp(t, OCI_MEDIA_LAYER) == 0 || strcmp(t, OCI_MEDIA_LAYER_GZIP) == 0 ||
	       strcmp(t, OCI_MEDIA_LAYER_ZSTD) == 0 || strcmp(t, DOCKER_MEDIA_LAYER) == 0 ||
	       is_foreign_layer(t);
}

/* The media type of a fetched manifest: the body's own mediaType wins over Content-Type. */
struct media_probe {
	int32_t schema_version;
	char *media_type;
	char *manifests; /* presence tells an index without a mediaType */
};
static const struct oci_field probe_fields[] = {
	OCI_FIELD(struct media_probe, schema_version, "schemaVersion", OCI_INT32, 0),
	OCI_FIELD(struct media_probe, media_type, "mediaType", OCI_STRING, 0),
	OCI_FIELD(struct media_probe, manifests, "manifests", OCI_JSON, 0),
	OCI_END,
};
static const struct oci_type probe_type = { "manifest", sizeof(struct media_probe), probe_fields };

static int manifest_kind(const char *body, size_t len, const char *content_type,
			 const char *what, char **kind, struct berth_error **err)
{
	struct media_probe *p;
	char *msg = NULL;
	void *out;

	if (oci_parse(&probe_type, body, len, what, &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	p = out;
	if (p->schema_version == 1 || is_schema1_type(p->media_type) || is_schema1_type(content_type)) {
		oci_free(&probe_type, p);
		return berth_fail(err, "%s: Docker schema1 manifests are not supported (deprecated and unverifiable); push the image again with a current client",
				  what);
	}
	if (p->media_type)
		*kind = strdup(p->media_type);
	else if (content_type && (is_index_type(content_type) || is_manifest_type(content_type)))
		*kind = strndup(content_type, strcspn(content_type, "; "));
	else
		*kind = strdup(p->manifests ? OCI_MEDIA_INDEX : OCI_MEDIA_MANIFEST);
	oci_free(&probe_type, p);
	if (*kind == NULL)
		return berth_fail(err, "out of memory");
	if (!is_index_type(*kind) && !is_manifest_type(*kind))
		return berth_fail(err, "%s: unsupported manifest media type '%s'", what, *kind);
	return 0;
}

static bool variant_matches(const char *arch, const char *want, const char *have)
{
	if (want == NULL)
		return true;
	if (have == NULL)
		have = "";
	if (strcmp(arch, "arm64") == 0) {
		if (*have == '\0')
			have = "v8";
		if (*want == '\0')
			want = "v8";
	}
	return strcmp(want, have) == 0;
}

static int select_platform(const struct oci_index *idx, const char *platform, const char *what,
			   const struct oci_descriptor **out, struct berth_error **err)
{
	const char *os, *arch, *variant;
	_cleanup_free_ char *copy = NULL;
	char available[512] = "";
	size_t i, used = 0;

	host_platform(&os, &arch, &variant);
	if (platform) {
		char *a, *v;
		copy = strdup(platform);
		if (copy == NULL)
			return berth_fail(err, "out of memory");
		a = strchr(copy, '/');
		if (a == NULL || a == copy || a[1] == '\0')
			return berth_fail(err, "--platform '%s': expected OS/ARCH[/VARIANT]", platform);
		*a++ = '\0';
		v = strchr(a, '/');
		if (v)
			*v++ = '\0';
		os = copy;
		arch = a;
		variant = v && *v ? v : NULL;
	} else if (variant && strcmp(arch, "arm64") != 0) {
		variant = NULL; /* this machine's own variant is a preference, not a demand */
	}
	for (i = 0; i < idx->manifests_len; i++) {
		const struct oci_descriptor *d = &idx->manifests[i];
		const struct oci_platform *p = d->platform;
		if (p == NULL || !is_manifest_type(d->media_type))
			continue;
		/* Attestations and signatures ride in indexes as unknown/unknown. */
		if (strcmp(p->os, "unknown") == 0 ||
		    oci_map_get(&d->annotations, "vnd.docker.reference.type"))
			continue;
		if (used < sizeof(available) - 1)
			used += snprintf(available + used, sizeof(available) - used, "%s%s/%s%s%s",
					 used ? ", " : "", p->os, p->architecture,
					 p->variant ? "/" : "", p->variant ? p->variant : "");
		if (strcmp(p->os, os) == 0 && strcmp(p->architecture, arch) == 0 &&
		    variant_matches(arch, variant, p->variant)) {
			*out = d;
			return 0;
		}
	}
	return berth_fail(err, "%s: no image for platform %s/%s%s%s (available: %s)", what, os, arch,
			  variant ? "/" : "", variant ? variant : "", used ? available : "none");
}

/* Fetch a manifest by digest and check it against its descriptor. */
static int fetch_by_descriptor(struct registry *r, const struct image_ref *ref,
			       const struct oci_descriptor *d, char **body, size_t *len,
			       struct berth_error **err)
{
	_cleanup_free_ char *ctype = NULL;
	char actual[DIGEST_LEN + 1];

	if (!digest_valid(d->digest))
		return berth_fail(err, "manifest descriptor: invalid digest '%s'", d->digest);
	if (registry_get_manifest(r, ref->repository, d->digest, body, len, &ctype, err) < 0)
		return -1;
	sha256_buffer(*body, *len, actual);
	if (strcmp(actual, d->digest) != 0 || (int64_t)*len != d->size) {
		free(*body);
		*body = NULL;
		return berth_fail(err, "manifest %s: content served hashes to %s (%zu bytes, expected %lld)",
				  d->digest, actual, *len, (long long)d->size);
	}
	return 0;
}

/* Pull `ref` from the registry at `host` (its own, or a mirror of docker.io). */
static int pull_from(const struct pull_opts *opts, struct store *st, const struct image_ref *ref,
		     const char *host, struct berth_error **err)
{
	struct registry reg;
	struct registry_opts ropts = opts->reg;
	struct progress pg;
	_cleanup_free_ char *top = NULL, *top_type = NULL, *kind = NULL, *mbody = NULL;
	_cleanup_free_ char *canonical = image_ref_canonical(ref), *familiar = image_ref_familiar(ref);
	_cleanup_free_ char *repo_short = image_ref_familiar_repo(ref->registry, ref->repository);
	_cleanup_free_ struct blob_job *jobs = NULL;
	struct oci_descriptor *old = NULL;
	struct oci_descriptor chosen = { 0 };
	struct oci_index *idx = NULL;
	struct oci_manifest *man = NULL;
	char top_digest[DIGEST_LEN + 1], *msg = NULL;
	size_t top_len, mlen = 0, njobs = 0, i;
	bool up_to_date;
	void *out;
	int rc = -1;

	if (!canonical || !familiar || !repo_short)
		return berth_fail(err, "out of memory");
	progress_init(&pg, opts->quiet);
	ropts.repository = ref->repository;
	if (registry_open(&reg, host, &ropts, err) < 0)
		return -1;
	if (store_lock_gc(st, false, err) < 0)
		goto out;
	if (store_find(st, canonical, &old, err) < 0)
		goto out;

	progress_say(&pg, "%s: Pulling from %s", image_ref_manifest_ref(ref),
		     strcmp(ref->registry, DOCKER_HUB) == 0 ? ref->repository : repo_short);
	if (registry_get_manifest(&reg, ref->repository, image_ref_manifest_ref(ref), &top, &top_len,
				  &top_type, err) < 0)
		goto out;
	sha256_buffer(top, top_len, top_digest);
	if (ref->digest && strcmp(ref->digest, top_digest) != 0) {
		berth_fail(err, "manifest %s: content served hashes to %s", ref->digest, top_digest);
		goto out;
	}
	if (manifest_kind(top, top_len, top_type, canonical, &kind, err) < 0)
		goto out;

	if (is_index_type(kind)) {
		const struct oci_descriptor *d = NULL;
		if (oci_parse(&oci_index_type, top, top_len, canonical, &out, &msg) < 0) {
			berth_fail_take(err, 0, msg);
			goto out;
		}
		idx = out;
		if (select_platform(idx, opts->platform, canonical, &d, err) < 0)
			goto out;
		chosen = *d;
		if (fetch_by_descriptor(&reg, ref, d, &mbody, &mlen, err) < 0)
			goto out;
	} else {
		chosen.media_type = kind;
		chosen.digest = top_digest;
		chosen.size = top_len;
		mbody = steal_pointer(&top);
		mlen = top_len;
	}
	{
		_cleanup_free_ char *mkind = NULL;
		if (manifest_kind(mbody, mlen, NULL, chosen.digest, &mkind, err) < 0)
			goto out;
		if (!is_manifest_type(mkind)) {
			berth_fail(err, "%s: an index may not point at another index here", chosen.digest);
			goto out;
		}
	}
	if (oci_parse(&oci_manifest_type, mbody, mlen, chosen.digest, &out, &msg) < 0) {
		berth_fail_take(err, 0, msg);
		goto out;
	}
	man = out;
	if (!man->config->media_type || (strcmp(man->config->media_type, OCI_MEDIA_CONFIG) != 0 &&
					 strcmp(man->config->media_type, DOCKER_MEDIA_CONFIG) != 0)) {
		berth_fail(err, "%s: not a container image (config media type '%s')", canonical,
			   man->config->media_type ? man->config->media_type : "");
		goto out;
	}
	if (!digest_valid(man->config->digest)) {
		berth_fail(err, "%s: config: invalid digest '%s'", chosen.digest, man->config->digest);
		goto out;
	}
	jobs = calloc(man->layers_len + 1, sizeof(*jobs));
	if (jobs == NULL) {
		berth_fail(err, "out of memory");
		goto out;
	}
	for (i = 0; i < man->layers_len; i++) {
		const struct oci_descriptor *l = &man->layers[i];
		size_t slot;
		if (!is_layer_type(l->media_type)) {
			berth_fail(err, "%s: layer %zu: unsupported media type '%s'", chosen.digest, i,
				   l->media_type);
			goto out;
		}
		if (!digest_valid(l->digest) || l->size < 0) {
			berth_fail(err, "%s: layer %zu: invalid digest '%s'", chosen.digest, i, l->digest);
			goto out;
		}
		/* The same layer may appear twice in one manifest: fetch and show it once. */
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup = dup || strcmp(man->layers[k].digest, l->digest) == 0;
		if (dup)
			continue;
		slot = progress_add(&pg, l->digest);
		if (store_has_blob(st, l->digest, l->size)) {
			progress_status(&pg, slot, "Already exists");
			continue;
		}
		if (is_foreign_layer(l->media_type) && l->urls_len == 0) {
			berth_fail(err, "%s: layer %s is non-distributable and has no urls to fetch it from",
				   chosen.digest, l->digest);
			goto out;
		}
		progress_status(&pg, slot, "Pulling fs layer");
		jobs[njobs].desc = l;
		jobs[njobs].slot = slot;
		jobs[njobs].foreign = is_foreign_layer(l->media_type);
		njobs++;
	}
	if (!store_has_blob(st, man->config->digest, man->config->size)) {
		jobs[njobs].desc = man->config;
		jobs[njobs].slot = (size_t)-1; /* docker shows no line for the config */
		njobs++;
	}
	if (njobs && registry_fetch_blobs(&reg, ref->repository, st, jobs, njobs, &pg, err) < 0)
		goto out;
	if (store_put_blob(st, chosen.digest, mbody, mlen, err) < 0)
		goto out;
	if (idx && store_put_blob(st, top_digest, top, top_len, err) < 0)
		goto out;
	/* The layout names the platform manifest, so umoci and skopeo find a plain image. */
	{
		struct oci_descriptor named = { .media_type = chosen.media_type,
						.digest = chosen.digest,
						.size = chosen.size,
						.platform = chosen.platform };
		if (store_tag(st, canonical, &named, top_digest, err) < 0)
			goto out;
	}
	up_to_date = old && njobs == 0 &&
		     strcmp(oci_map_get(&old->annotations, ANNOTATION_REPO_DIGEST) ?: "", top_digest) == 0;
	progress_say(&pg, "Digest: %s", top_digest);
	progress_say(&pg, "Status: %s for %s",
		     up_to_date ? "Image is up to date" : "Downloaded newer image", familiar);
	/* docker prints the full name last, and it is all --quiet prints. */
	printf("%s\n", canonical);
	fflush(stdout);
	rc = 0;
out:
	if (rc < 0)
		berth_wrap(err, "pull %s", familiar);
	oci_free(&oci_descriptor_type, old);
	oci_free(&oci_index_type, idx);
	oci_free(&oci_manifest_type, man);
	progress_free(&pg);
	registry_close(&reg);
	return rc;
}

int pull_image(const struct pull_opts *opts, struct store *st, const struct image_ref *ref,
	       struct berth_error **err)
{
	/* Mirrors serve docker.io's content under its paths; the image keeps its docker.io name. */
	if (strcmp(ref->registry, DOCKER_HUB) == 0) {
		for (size_t i = 0; i < opts->nmirrors; i++) {
			if (pull_from(opts, st, ref, opts->mirrors[i], err) == 0)
				return 0;
			fprintf(stderr, "berth-pull: mirror %s: %s; trying the next source\n",
				opts->mirrors[i], (*err)->msg);
			berth_error_free(*err);
			*err = NULL;
		}
	}
	return pull_from(opts, st, ref, ref->registry, err);
}
