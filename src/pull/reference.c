/*
 * Reference parsing and formatting, following the distribution reference grammar closely
 * enough that every name docker accepts is accepted here and nothing ambiguous is guessed.
 * This file must never touch the network or the disk.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "reference.h"
#include "util.h"

void image_ref_clear(struct image_ref *ref)
{
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	ref->registry = ref->repository = ref->tag = ref->digest = NULL;
}

/* A path component: lower-case alphanumerics separated by '.', '_', '__' or runs of '-'. */
static bool valid_component(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		if (isdigit(c) || (c >= 'a' && c <= 'z'))
			continue;
		if (c == '.' || c == '_' || c == '-') {
			if (c == '.' && (s[i + 1] == '.' || s[i + 1] == '_' || s[i + 1] == '-'))
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static bool valid_tag(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

static bool valid_host(const char *s, size_t len)
{
	size_t i;

	/* A host name or an IP literal: it starts with a letter, digit or '[', never a dot. */
	if (len == 0 || !(isalnum((unsigned char)s[0]) || s[0] == '['))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.')
			return false;
		unsigned char c = s[i];
		if (!isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
			return false;
	}
	return true;
}

int image_ref_parse(const char *text, const char *default_registry, struct image_ref *ref,
		    struct berth_error **err)
{
	_cleanup_free_ char *name = NULL;
	const char *slash, *p;
	char *at, *colon;

	memset(ref, 0, sizeof(*ref));
	if (text == NULL || *text == '\0')
		return berth_fail(err, "image reference: must not be empty");
	name = strdup(text);
	if (name == NULL)
		return berth_fail(err, "out of memory");

	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return berth_fail(err, "image reference '%s': invalid digest '%s' (expected sha256:<64 hex>)",
					  text, at + 1);
		ref->digest = strdup(at + 1);
	}
	/* A tag follows the last ':' only when no '/' comes after it (host:port/name). */
	colon = strrchr(name, ':');
	if (colon && strchr(colon, '/') == NULL) {
		*colon = '\0';
		if (!valid_tag(colon + 1)) {
			image_ref_clear(ref);
			return berth_fail(err, "image reference '%s': invalid tag '%s'", text, colon + 1);
		}
		ref->tag = strdup(colon + 1);
	}

	/* The first component is a host when it has a '.' or ':' or is "localhost". */
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', slash - name) || memchr(name, ':', slash - name) ||
		      (slash - name == 9 && strncmp(name, "localhost", 9) == 0))) {
		if (!valid_host(name, slash - name)) {
			image_ref_clear(ref);
			return berth_fail(err, "image reference '%s': invalid registry host", text);
		}
		ref->registry = strndup(name, slash - name);
		p = slash + 1;
	} else {
		ref->registry = strdup(default_registry && *default_registry ? default_registry
									   : DOCKER_HUB);
		p = name;
	}
	if (strcmp(ref->registry, "index.docker.io") == 0 ||
	    strcmp(ref->registry, "registry-1.docker.io") == 0) {
		free(ref->registry);
		ref->registry = strdup(DOCKER_HUB);
	}
	if (ref->registry == NULL) {
		image_ref_clear(ref);
		return berth_fail(err, "out of memory");
	}
	/* Check each path component. */
	for (const char *c = p;;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (!valid_component(c, len)) {
			image_ref_clear(ref);
			return berth_fail(err,
					  "image reference '%s': invalid repository name (lower-case letters, digits and . _ - separated by /)",
					  text);
		}
		if (!end)
			break;
		c = end + 1;
	}
	if (strcmp(ref->registry, DOCKER_HUB) == 0 && strchr(p, '/') == NULL) {
		if (asprintf(&ref->repository, "library/%s", p) < 0)
			ref->repository = NULL;
	} else {
		ref->repository = strdup(p);
	}
	if (ref->tag == NULL && ref->digest == NULL)
		ref->tag = strdup("latest");
	if (ref->repository == NULL || (ref->tag == NULL && ref->digest == NULL) ||
	    strlen(ref->registry) + strlen(ref->repository) > 255) {
		image_ref_clear(ref);
		return berth_fail(err, "image reference '%s': name too long or out of memory", text);
	}
	return 0;
}

static char *format_ref(const char *repo, const struct image_ref *ref)
{
	char *out;

	if (ref->digest) {
		if (asprintf(&out, "%s@%s", repo, ref->digest) < 0)
			return NULL;
	} else if (asprintf(&out, "%s:%s", repo, ref->tag) < 0) {
		return NULL;
	}
	return out;
}

char *image_ref_canonical(const struct image_ref *ref)
{
	_cleanup_free_ char *repo = NULL;

	if (asprintf(&repo, "%s/%s", ref->registry, ref->repository) < 0)
		return NULL;
	return format_ref(repo, ref);
}

char *image_ref_familiar_repo(const char *registry, const char *repository)
{
	char *out;

	if (strcmp(registry, DOCKER_HUB) == 0) {
		if (strncmp(repository, "library/", 8) == 0 && strchr(repository + 8, '/') == NULL)
			return strdup(repository + 8);
		return strdup(repository);
	}
	if (asprintf(&out, "%s/%s", registry, repository) < 0)
		return NULL;
	return out;
}

char *image_ref_familiar(const struct image_ref *ref)
{
	_cleanup_free_ char *repo = image_ref_familiar_repo(ref->registry, ref->repository);

	return repo ? format_ref(repo, ref) : NULL;
}

const char *image_ref_endpoint(const char *registry)
{
	return strcmp(registry, DOCKER_HUB) == 0 ? "registry-1.docker.io" : registry;
}

const char *image_ref_manifest_ref(const struct image_ref *ref)
{
	return ref->digest ? ref->digest : ref->tag;
}
