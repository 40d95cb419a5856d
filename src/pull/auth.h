/*
 * Registry credentials in the files docker and podman share: ~/.docker/config.json and the
 * containers-auth.json named by $REGISTRY_AUTH_FILE, {"auths": {"host": {"auth": base64}}}.
 * Lookups ask the docker credential helper the file names for the registry (credHelpers, else
 * credsStore; see credhelper.h) first, then prefer the most specific auths key
 * ("host/namespace/repo" before "host"). Writes keep every other member of the file and
 * replace it atomically with mode 0600.
 * This file must never send a credential anywhere: it only reads and writes the file (and
 * tells a helper which registry it wants).
 */
#ifndef PULL_AUTH_H
#define PULL_AUTH_H

#include "error.h"

/* --authfile, else $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
char *auth_file_path(const char *authfile);
/* *user and *pass stay NULL when nothing matches or the file does not exist. */
int auth_lookup(const char *file, const char *registry, const char *repository, char **user,
		char **pass, struct berth_error **err);
int auth_store(const char *file, const char *registry, const char *user, const char *pass,
	       struct berth_error **err);
/* Returns 1 when an entry was removed, 0 when there was none. */
int auth_remove(const char *file, const char *registry, struct berth_error **err);

#endif
