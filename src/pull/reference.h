/*
 * Image references as docker and podman spell them: `name`, `name:tag`, `name@sha256:...`,
 * `host[:port]/path/name:tag`. Short names go to the default registry (docker.io, where
 * single-component names get the `library/` prefix). Pure string work: no I/O.
 */
#ifndef PULL_REFERENCE_H
#define PULL_REFERENCE_H

#include "error.h"

#define DOCKER_HUB "docker.io"

struct image_ref {
	char *registry;   /* "docker.io", "127.0.0.1:5000" */
	char *repository; /* "library/hello-world" */
	char *tag;        /* NULL when pulled by digest alone */
	char *digest;     /* "sha256:<64 hex>" or NULL */
};

/* `default_registry` NULL means docker.io. */
int image_ref_parse(const char *text, const char *default_registry, struct image_ref *ref,
		    struct berth_error **err);
void image_ref_clear(struct image_ref *ref);
/* "docker.io/library/hello-world:latest" (or "@sha256:..."): the key in the store. */
char *image_ref_canonical(const struct image_ref *ref);
/* "hello-world:latest" as docker prints it; other registries keep their host. */
char *image_ref_familiar(const struct image_ref *ref);
/* The repository as `docker images` shows it: "hello-world", "127.0.0.1:5000/busybox". */
char *image_ref_familiar_repo(const char *registry, const char *repository);
/* The host that serves the registry API: registry-1.docker.io for docker.io. */
const char *image_ref_endpoint(const char *registry);
/* The tag or the digest: what goes after /manifests/. */
const char *image_ref_manifest_ref(const struct image_ref *ref);

#endif
