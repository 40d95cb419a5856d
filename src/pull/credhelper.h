/*
 * Docker credential helpers (the docker-credential-helpers protocol): `docker-credential-NAME
 * get` is run from PATH with the registry's server URL on standard input and answers
 * {"ServerURL", "Username", "Secret"} on standard output, or exits non-zero saying
 * "credentials not found". The auth file names helpers in credHelpers (per registry) and
 * credsStore (for every registry).
 * This file must never hand a helper anything but the one registry's server URL, and never
 * run a helper whose name could leave the docker-credential- prefix (a '/' in it).
 */
#ifndef PULL_CREDHELPER_H
#define PULL_CREDHELPER_H

#include "error.h"

/* The server URL helpers know a registry by: Docker Hub is "https://index.docker.io/v1/",
 * any other registry its HOST[:PORT]. */
char *credhelper_server_url(const char *registry);

/* Returns 1 with *user and *pass set, 0 when the helper has no credentials for the registry,
 * -1 when it cannot be run or answers nonsense. */
int credhelper_get(const char *helper, const char *registry, char **user, char **pass,
		   struct berth_error **err);

#endif
