/*
 * A client for one registry (OCI distribution / Docker Registry v2) over libcurl: the /v2/
 * ping, the WWW-Authenticate challenge with the Bearer token flow (anonymous or with
 * credentials; tokens cached per scope and refreshed when they expire) or Basic auth, manifest
 * GETs with the Accept list for all four manifest types, and parallel blob downloads with the
 * multi interface that hash while streaming, resume with Range, and retry 429/5xx with backoff.
 * Redirects are followed here, not by libcurl, so an Authorization header only ever goes to
 * the registry host that asked for it.
 * This file must never trust a digest a server sends: callers verify content, and blobs are
 * verified here before they reach the store.
 */
#ifndef PULL_REGISTRY_H
#define PULL_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "image.h"
#include "progress.h"
#include "store.h"

struct registry_opts {
	bool tls_verify;
	const char *cert_dir; /* NULL: /etc/containers/certs.d/HOST, /etc/docker/certs.d/HOST */
	const char *creds;    /* "user:password", overrides the auth file */
	const char *authfile; /* NULL: see auth_file_path() */
	const char *repository; /* picks the most specific auth-file entry */
};

enum auth_kind { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct registry_token {
	char *scope;
	char *token;
	time_t expires;
};

struct registry {
	char *name; /* as in references: "docker.io", "127.0.0.1:5000" */
	char *host; /* the API host: "registry-1.docker.io" */
	char *base; /* "https://host" or "http://host" */
	bool tls_verify;
	char *ca_bundle; /* system CAs plus the cert dir's *.crt, or NULL */
	size_t ca_bundle_len;
	char *client_cert, *client_key;
	char *user, *pass;
	enum auth_kind auth;
	char *realm, *service;
	struct registry_token tokens[8];
	size_t ntokens;
	unsigned token_gen; /* counts tokens fetched: a 401 on an older one needs no new fetch */
	void *curl; /* CURL *, reused so keep-alive connections are too */
};

/* Resolves TLS material and credentials, then pings /v2/ to learn the auth challenge. */
int registry_open(struct registry *r, const char *name, const struct registry_opts *opts,
		  struct berth_error **err);
void registry_close(struct registry *r);

/* GET /v2/<repo>/manifests/<ref>. *body is the exact bytes served (to be hashed by the caller). */
int registry_get_manifest(struct registry *r, const char *repo, const char *ref, char **body,
			  size_t *len, char **media_type, struct berth_error **err);

/* Check that the credentials are accepted (for login): a token or a 200 from /v2/. */
int registry_check_login(struct registry *r, struct berth_error **err);

struct blob_job {
	const struct oci_descriptor *desc;
	size_t slot; /* progress slot */
	bool foreign; /* fetched from desc->urls, never with credentials */
};

/* Download the blobs into the store, several at once, each verified before it is committed. */
int registry_fetch_blobs(struct registry *r, const char *repo, struct store *st,
			 struct blob_job *jobs, size_t n, struct progress *pg,
			 struct berth_error **err);

#endif
