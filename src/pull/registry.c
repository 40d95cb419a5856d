/*
 * The registry client. Everything that crosses the network is here; everything it returns is
 * checked by digest before anyone uses it. Redirects are followed by hand so credentials are
 * attached per request, only when the request goes to the registry's own origin.
 * This file must never print: progress goes through progress.h, errors through berth_error.
 */
#include "config.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "digest.h"
#include "reference.h"
#include "registry.h"
#include "util.h"

#define MAX_ATTEMPTS 6
#define MAX_REDIRECTS 10
#define RETRY_AFTER_CAP_S 10
#define MAX_MANIFEST 4 * 1024 * 1024
#define MAX_PARALLEL 4
#define USER_AGENT "berth-pull/" PACKAGE_VERSION

static const char manifest_accept[] =
	"Accept: " OCI_MEDIA_INDEX ", " OCI_MEDIA_MANIFEST ", " DOCKER_MEDIA_LIST
	", " DOCKER_MEDIA_MANIFEST;

/* ---- responses ---------------------------------------------------------------------- */

struct response {
	long status;
	char *body;
	size_t len;
	size_t limit;
	char *content_type;
	char *www_authenticate;
	char *content_range;
	long retry_after; /* seconds, -1 when absent */
};

static void response_clear(struct response *resp)
{
	free(resp->body);
	free(resp->content_type);
	free(resp->www_authenticate);
	free(resp->content_range);
	size_t limit = resp->limit;
	memset(resp, 0, sizeof(*resp));
	resp->limit = limit;
	resp->retry_after = -1;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *v, *end = line + len;

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	v = line + n + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, end - v);
}

/* Headers of every response in a chain arrive here; an "HTTP/" line starts a fresh one. */
static void parse_header_line(struct response *resp, const char *line, size_t len)
{
	char *v;

	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', len);
		free(resp->content_type);
		free(resp->www_authenticate);
		free(resp->content_range);
		resp->content_type = resp->www_authenticate = resp->content_range = NULL;
		resp->retry_after = -1;
		resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return;
	}
	if ((v = header_value(line, len, "content-type"))) {
		free(resp->content_type);
		resp->content_type = v;
	} else if ((v = header_value(line, len, "www-authenticate"))) {
		/* Keep the first challenge: registries list Bearer before anything else. */
		if (resp->www_authenticate == NULL)
			resp->www_authenticate = v;
		else
			free(v);
	} else if ((v = header_value(line, len, "content-range"))) {
		free(resp->content_range);
		resp->content_range = v;
	} else if ((v = header_value(line, len, "retry-after"))) {
		char *end;
		long s = strtol(v, &end, 10);
		resp->retry_after = (end != v && *end == '\0' && s >= 0) ? s : -1;
		free(v);
	}
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	parse_header_line(arg, buf, size * n);
	return size * n;
}

static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct response *resp = arg;
	size_t len = size * n;
	char *nb;

	if (resp->len + len > resp->limit)
		return 0; /* far larger than any manifest or token: refuse rather than buffer it */
	nb = realloc(resp->body, resp->len + len + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + resp->len, buf, len);
	resp->body = nb;
	resp->len += len;
	resp->body[resp->len] = '\0';
	return len;
}

/* ---- TLS and credentials -------------------------------------------------------------- */

static int append_file(char **buf, size_t *len, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char chunk[8192];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		char *nb = realloc(*buf, *len + n + 2);
		if (nb == NULL)
			return -1;
		memcpy(nb + *len, chunk, n);
		*len += n;
		nb[(*len)++] = '\n';
		nb[*len] = '\0';
		*buf = nb;
	}
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Docker's certs.d layout: extra CAs in *.crt, a client pair in NAME.cert + NAME.key. */
static int load_cert_dir(struct registry *r, const char *dir, bool explicit,
			 struct berth_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool any_ca = false;

	if (d == NULL) {
		if (!explicit && errno == ENOENT)
			return 0;
		return berth_fail_errno(err, errno, "cert dir '%s'", dir);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			closedir(d);
			return berth_fail(err, "out of memory");
		}
		if (has_suffix(de->d_name, ".crt")) {
			if (!any_ca && r->ca_bundle == NULL)
				append_file(&r->ca_bundle, &r->ca_bundle_len,
					    "/etc/ssl/certs/ca-certificates.crt");
			if (append_file(&r->ca_bundle, &r->ca_bundle_len, path) < 0) {
				closedir(d);
				return berth_fail_errno(err, errno, "read '%s'", path);
			}
			any_ca = true;
		} else if (has_suffix(de->d_name, ".cert") && r->client_cert == NULL) {
			_cleanup_free_ char *key = NULL;
			if (asprintf(&key, "%.*s.key", (int)(strlen(path) - 5), path) < 0) {
				closedir(d);
				return berth_fail(err, "out of memory");
			}
			if (access(key, R_OK) < 0) {
				closedir(d);
				return berth_fail(err, "cert dir '%s': client certificate '%s' has no matching key '%s'",
						  dir, path, key);
			}
			r->client_cert = steal_pointer(&path);
			r->client_key = steal_pointer(&key);
		}
	}
	closedir(d);
	return 0;
}

static int load_credentials(struct registry *r, const struct registry_opts *opts,
			    struct berth_error **err)
{
	_cleanup_free_ char *file = NULL;

	if (opts->creds) {
		const char *colon = strchr(opts->creds, ':');
		if (colon == NULL || colon == opts->creds)
			return berth_fail(err, "--creds: expected USER:PASSWORD");
		r->user = strndup(opts->creds, colon - opts->creds);
		r->pass = strdup(colon + 1);
		return r->user && r->pass ? 0 : berth_fail(err, "out of memory");
	}
	file = auth_file_path(opts->authfile);
	if (file == NULL)
		return berth_fail(err, "out of memory");
	if (opts->authfile && access(file, R_OK) < 0)
		return berth_fail_errno(err, errno, "--authfile '%s'", file);
	return auth_lookup(file, r->name, opts->repository, &r->user, &r->pass, err);
}

/* ---- one HTTP exchange ---------------------------------------------------------------- */

static void setup_common(struct registry *r, CURL *h, const char *url)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled transfer is a broken one: retry it (with Range) instead of hanging forever. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, r->tls_verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, r->tls_verify ? 2L : 0L);
	if (r->ca_bundle) {
		struct curl_blob blob = { r->ca_bundle, r->ca_bundle_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (r->client_cert) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, r->client_cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, r->client_key);
	}
}

/* True when `url` is on the registry's own origin (scheme, host and port). */
static bool same_origin(const struct registry *r, const char *url)
{
	size_t n = strlen(r->base);
	return strncmp(url, r->base, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

static long backoff_ms(int attempt, long retry_after)
{
	if (retry_after >= 0)
		return (retry_after > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : retry_after) * 1000;
	long ms = 250L << (attempt < 5 ? attempt : 5);
	return ms > 5000 ? 5000 : ms;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool retryable(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

/* ---- authentication ------------------------------------------------------------------- */

/* One parameter of a challenge: key="quoted value" or key=token. */
static char *challenge_param(const char *challenge, const char *key)
{
	const char *p = challenge;
	size_t klen = strlen(key);

	while ((p = strcasestr(p, key))) {
		bool at_start = p == challenge || p[-1] == ' ' || p[-1] == ',';
		const char *v = p + klen;
		p += klen;
		if (!at_start || *v != '=')
			continue;
		v++;
		if (*v == '"') {
			const char *end = strchr(++v, '"');
			return end ? strndup(v, end - v) : NULL;
		}
		return strndup(v, strcspn(v, ", "));
	}
	return NULL;
}

static int parse_challenge(struct registry *r, const char *challenge, struct berth_error **err)
{
	if (strncasecmp(challenge, "Bearer ", 7) == 0) {
		free(r->realm);
		free(r->service);
		r->realm = challenge_param(challenge, "realm");
		r->service = challenge_param(challenge, "service");
		if (r->realm == NULL)
			return berth_fail(err, "registry %s: Bearer challenge without a realm: %s",
					  r->name, challenge);
		if (strncmp(r->realm, "https://", 8) != 0 && strncmp(r->realm, "http://", 7) != 0)
			return berth_fail(err, "registry %s: token realm '%s' is not an http(s) URL",
					  r->name, r->realm);
		r->auth = AUTH_BEARER;
		return 0;
	}
	if (strncasecmp(challenge, "Basic", 5) == 0) {
		r->auth = AUTH_BASIC;
		return 0;
	}
	return berth_fail(err, "registry %s: unsupported authentication challenge '%s'", r->name,
			  challenge);
}

struct token_response {
	char *token;
	char *access_token;
	int64_t expires_in;
	bool has_expires_in;
};

static const struct oci_field token_fields[] = {
	OCI_FIELD(struct token_response, token, "token", OCI_STRING, 0),
	OCI_FIELD(struct token_response, access_token, "access_token", OCI_STRING, 0),
	OCI_OPT(struct token_response, expires_in, "expires_in", OCI_INT64, 0),
	OCI_END,
};
static const struct oci_type token_type = { "token response", sizeof(struct token_response),
					    token_fields };

static struct registry_token *cached_token(struct registry *r, const char *scope)
{
	for (size_t i = 0; i < r->ntokens; i++)
		if (strcmp(r->tokens[i].scope, scope ? scope : "") == 0)
			return &r->tokens[i];
	return NULL;
}

static int fetch_token(struct registry *r, const char *scope, struct berth_error **err)
{
	CURL *h = r->curl;
	_cleanup_free_ char *url = NULL;
	char *svc = NULL, *sc = NULL, *msg = NULL;
	struct response resp = { .limit = 1 << 20, .retry_after = -1 };
	struct token_response *tr = NULL;
	struct registry_token *slot;
	void *out;
	CURLcode rc;
	int attempt;

	if (r->service)
		svc = curl_easy_escape(h, r->service, 0);
	if (scope)
		sc = curl_easy_escape(h, scope, 0);
	if (asprintf(&url, "%s%s%s%s%s%s", r->realm, strchr(r->realm, '?') ? "&" : "?",
		     svc ? "service=" : "", svc ? svc : "", sc ? (svc ? "&scope=" : "scope=") : "",
		     sc ? sc : "") < 0)
		url = NULL;
	curl_free(svc);
	curl_free(sc);
	if (url == NULL)
		return berth_fail(err, "out of memory");

	for (attempt = 0;; attempt++) {
		response_clear(&resp);
		curl_easy_reset(h);
		setup_common(r, h, url);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
		/* The registry named this realm: it is where its credentials belong. */
		if (r->user) {
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
			curl_easy_setopt(h, CURLOPT_USERNAME, r->user);
			curl_easy_setopt(h, CURLOPT_PASSWORD, r->pass);
		}
		rc = curl_easy_perform(h);
		if (rc == CURLE_OK && !retryable(resp.status))
			break;
		if (attempt + 1 >= MAX_ATTEMPTS) {
			if (rc != CURLE_OK)
				berth_fail(err, "token from %s: %s", r->realm, curl_easy_strerror(rc));
			else
				berth_fail(err, "token from %s: HTTP %ld", r->realm, resp.status);
			response_clear(&resp);
			return -1;
		}
		sleep_ms(backoff_ms(attempt, resp.retry_after));
	}
	if (resp.status == 401 || resp.status == 403) {
		response_clear(&resp);
		return berth_fail(err, "registry %s: %s", r->name,
				  r->user ? "unauthorized: the credentials were refused"
					  : "unauthorized: authentication required (use --creds or berth-pull login)");
	}
	if (resp.status != 200) {
		response_clear(&resp);
		return berth_fail(err, "token from %s: HTTP %ld", r->realm, resp.status);
	}
	if (oci_parse(&token_type, resp.body ? resp.body : "", resp.len, "token response", &out,
		      &msg) < 0) {
		response_clear(&resp);
		return berth_fail_take(err, 0, msg);
	}
	response_clear(&resp);
	tr = out;
	if (tr->token == NULL && tr->access_token == NULL) {
		oci_free(&token_type, tr);
		return berth_fail(err, "token response from %s: no token", r->realm);
	}
	slot = cached_token(r, scope);
	if (slot == NULL) {
		if (r->ntokens == sizeof(r->tokens) / sizeof(r->tokens[0])) {
			/* Full: the oldest scope makes room. */
			free(r->tokens[0].scope);
			free(r->tokens[0].token);
			memmove(&r->tokens[0], &r->tokens[1], (r->ntokens - 1) * sizeof(r->tokens[0]));
			r->ntokens--;
		}
		slot = &r->tokens[r->ntokens++];
		slot->scope = strdup(scope ? scope : "");
		slot->token = NULL;
	}
	free(slot->token);
	slot->token = strdup(tr->token ? tr->token : tr->access_token);
	/* The spec's default lifetime is 60 s. Renew a little early, but never so early that a
	 * short-lived token counts as expired the moment it arrives. */
	int64_t life = tr->has_expires_in && tr->expires_in > 0 ? tr->expires_in : 60;
	slot->expires = time(NULL) + life - (life >= 50 ? 5 : life / 10);
	r->token_gen++;
	oci_free(&token_type, tr);
	if (slot->scope == NULL || slot->token == NULL)
		return berth_fail(err, "out of memory");
	return 0;
}

/* The Authorization header for a request to the registry's origin, fetching a token first when
 * none is cached for the scope (or it expired). NULL *out means: send none. */
static int auth_header(struct registry *r, const char *scope, bool force_refresh, char **out,
		       struct berth_error **err)
{
	*out = NULL;
	if (r->auth == AUTH_BASIC) {
		_cleanup_free_ char *plain = NULL;
		_cleanup_free_ unsigned char *b64 = NULL;
		int n;
		if (r->user == NULL)
			return 0;
		n = asprintf(&plain, "%s:%s", r->user, r->pass);
		if (n < 0 || (b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
			return berth_fail(err, "out of memory");
		EVP_EncodeBlock(b64, (unsigned char *)plain, n);
		if (asprintf(out, "Authorization: Basic %s", b64) < 0)
			return berth_fail(err, "out of memory");
		return 0;
	}
	if (r->auth == AUTH_BEARER) {
		struct registry_token *t = cached_token(r, scope);
		if (t == NULL || force_refresh || time(NULL) >= t->expires) {
			if (fetch_token(r, scope, err) < 0)
				return -1;
			t = cached_token(r, scope);
		}
		if (asprintf(out, "Authorization: Bearer %s", t->token) < 0)
			return berth_fail(err, "out of memory");
	}
	return 0;
}

/*
 * A GET with everything around it: credentials for the registry's origin only, the 401
 * challenge answered once, redirects followed by hand, 429/5xx and network errors retried.
 * Returns the final response; the caller judges its status.
 */
static int request(struct registry *r, const char *first_url, const char *scope,
		   const char *accept, struct response *resp, struct berth_error **err)
{
	_cleanup_free_ char *url = strdup(first_url);
	int attempt = 0, redirects = 0;
	bool refreshed = false;

	if (url == NULL)
		return berth_fail(err, "out of memory");
	for (;;) {
		_cleanup_free_ char *authz = NULL;
		struct curl_slist *headers = NULL;
		CURL *h = r->curl;
		char *location = NULL;
		CURLcode rc;

		if (same_origin(r, url) && auth_header(r, scope, false, &authz, err) < 0)
			return -1;
		response_clear(resp);
		curl_easy_reset(h);
		setup_common(r, h, url);
		if (accept)
			headers = curl_slist_append(headers, accept);
		if (authz)
			headers = curl_slist_append(headers, authz);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
		rc = curl_easy_perform(h);
		curl_slist_free_all(headers);
		if (rc != CURLE_OK) {
			if (++attempt >= MAX_ATTEMPTS)
				return berth_fail(err, "GET %s: %s", url, curl_easy_strerror(rc));
			sleep_ms(backoff_ms(attempt - 1, -1));
			continue;
		}
		if (resp->status >= 300 && resp->status < 400 && resp->status != 304) {
			curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
			if (location == NULL)
				return berth_fail(err, "GET %s: HTTP %ld without a Location", url,
						  resp->status);
			if (++redirects > MAX_REDIRECTS)
				return berth_fail(err, "GET %s: too many redirects", first_url);
			free(url);
			if ((url = strdup(location)) == NULL)
				return berth_fail(err, "out of memory");
			continue;
		}
		if (resp->status == 401 && same_origin(r, url) && !refreshed && resp->www_authenticate) {
			/* A first challenge, or an expired token: learn it and try once more. */
			if (parse_challenge(r, resp->www_authenticate, err) < 0)
				return -1;
			if (r->auth == AUTH_BEARER) {
				_cleanup_free_ char *fresh = NULL;
				if (auth_header(r, scope, true, &fresh, err) < 0)
					return -1;
			} else if (r->user == NULL) {
				return berth_fail(err, "registry %s: unauthorized: authentication required (use --creds or berth-pull login)",
						  r->name);
			}
			refreshed = true;
			continue;
		}
		if (retryable(resp->status)) {
			if (++attempt >= MAX_ATTEMPTS)
				return berth_fail(err, "GET %s: HTTP %ld after %d attempts", url,
						  resp->status, attempt);
			sleep_ms(backoff_ms(attempt - 1, resp->status == 429 ? resp->retry_after : -1));
			continue;
		}
		return 0;
	}
}

/* The first words of a registry's JSON error ("MANIFEST_UNKNOWN: manifest unknown"). */
static const char *error_text(const struct response *resp, char *buf, size_t len)
{
	const char *code, *message;
	size_t cl, ml;

	if (resp->body == NULL || (code = strstr(resp->body, "\"code\"")) == NULL)
		return "";
	code = strchr(code + 6, '"');
	if (code == NULL)
		return "";
	code++;
	cl = strcspn(code, "\"");
	message = strstr(code, "\"message\"");
	message = message ? strchr(message + 9, '"') : NULL;
	ml = message ? strcspn(++message, "\"") : 0;
	snprintf(buf, len, ": %.*s%s%.*s", (int)cl, code, ml ? ": " : "", (int)ml,
		 message ? message : "");
	return buf;
}

/* *net is set when the registry could not be reached at all (so http may be tried). */
static int ping(struct registry *r, bool *net, struct berth_error **err)
{
	struct response resp = { .limit = 1 << 20, .retry_after = -1 };
	_cleanup_free_ char *url = NULL;
	int r_;

	if (asprintf(&url, "%s/v2/", r->base) < 0)
		return berth_fail(err, "out of memory");
	/* No auth yet: the answer is what tells us which auth to use. */
	r->auth = AUTH_NONE;
	for (int attempt = 0;; attempt++) {
		/* The first contact is where TLS fails: for a refused server certificate libcurl's
		 * own words say why, its error code alone does not. */
		char detail[CURL_ERROR_SIZE] = "";
		CURLcode rc;
		response_clear(&resp);
		curl_easy_reset(r->curl);
		setup_common(r, r->curl, url);
		curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, detail);
		curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, &resp);
		curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, &resp);
		rc = curl_easy_perform(r->curl);
		curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, NULL);
		if (rc != CURLE_OK) {
			bool tls = strncmp(url, "https://", 8) == 0;
			response_clear(&resp);
			*net = true;
			/* A server that requires a client certificate just drops the handshake. */
			bool no_client_cert = tls && r->client_cert == NULL &&
					      (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
					       rc == CURLE_SSL_CONNECT_ERROR);
			return berth_fail(err, "registry %s: GET %s: %s%s", r->name, url,
					  rc == CURLE_PEER_FAILED_VERIFICATION && detail[0]
						  ? detail
						  : curl_easy_strerror(rc),
					  no_client_cert
						  ? " (does the registry require a client certificate? put NAME.cert and NAME.key in the cert dir)"
						  : "");
		}
		if (!retryable(resp.status) || attempt + 1 >= MAX_ATTEMPTS)
			break;
		sleep_ms(backoff_ms(attempt, resp.retry_after));
	}
	if (resp.status == 401 && resp.www_authenticate)
		r_ = parse_challenge(r, resp.www_authenticate, err);
	else if (resp.status == 200)
		r_ = 0;
	else
		r_ = berth_fail(err, "registry %s: GET %s: HTTP %ld (is it a registry?)", r->name,
				url, resp.status);
	response_clear(&resp);
	return r_;
}

int registry_open(struct registry *r, const char *name, const struct registry_opts *opts,
		  struct berth_error **err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->tls_verify = opts->tls_verify;
	r->name = strdup(name);
	r->host = strdup(image_ref_endpoint(name));
	r->curl = curl_easy_init();
	if (!r->name || !r->host || !r->curl) {
		registry_close(r);
		return berth_fail(err, "out of memory");
	}
	if (opts->cert_dir) {
		rc = load_cert_dir(r, opts->cert_dir, true, err);
	} else {
		_cleanup_free_ char *a = NULL, *b = NULL;
		if (asprintf(&a, "/etc/containers/certs.d/%s", r->name) < 0 ||
		    asprintf(&b, "/etc/docker/certs.d/%s", r->name) < 0)
			rc = berth_fail(err, "out of memory");
		else
			rc = load_cert_dir(r, a, false, err) < 0 ? -1 : load_cert_dir(r, b, false, err);
	}
	if (rc < 0 || load_credentials(r, opts, err) < 0) {
		registry_close(r);
		return -1;
	}
	if (asprintf(&r->base, "https://%s", r->host) < 0) {
		registry_close(r);
		return berth_fail(err, "out of memory");
	}
	bool net = false;
	rc = ping(r, &net, err);
	if (rc < 0 && net && !r->tls_verify) {
		/* --tls-verify=false also allows plain HTTP, as podman and skopeo do. */
		berth_error_free(*err);
		*err = NULL;
		free(r->base);
		if (asprintf(&r->base, "http://%s", r->host) < 0) {
			r->base = NULL;
			registry_close(r);
			return berth_fail(err, "out of memory");
		}
		rc = ping(r, &net, err);
	}
	if (rc < 0) {
		registry_close(r);
		return -1;
	}
	return 0;
}

void registry_close(struct registry *r)
{
	if (r->curl)
		curl_easy_cleanup(r->curl);
	for (size_t i = 0; i < r->ntokens; i++) {
		free(r->tokens[i].scope);
		free(r->tokens[i].token);
	}
	if (r->pass)
		explicit_bzero(r->pass, strlen(r->pass));
	free(r->name);
	free(r->host);
	free(r->base);
	free(r->ca_bundle);
	free(r->client_cert);
	free(r->client_key);
	free(r->user);
	free(r->pass);
	free(r->realm);
	free(r->service);
	memset(r, 0, sizeof(*r));
}

static char *pull_scope(const char *repo)
{
	char *s;
	return asprintf(&s, "repository:%s:pull", repo) < 0 ? NULL : s;
}

int registry_get_manifest(struct registry *r, const char *repo, const char *ref, char **body,
			  size_t *len, char **media_type, struct berth_error **err)
{
	struct response resp = { .limit = MAX_MANIFEST, .retry_after = -1 };
	_cleanup_free_ char *url = NULL, *scope = pull_scope(repo);
	char ebuf[256];

	if (scope == NULL || asprintf(&url, "%s/v2/%s/manifests/%s", r->base, repo, ref) < 0)
		return berth_fail(err, "out of memory");
	if (request(r, url, scope, manifest_accept, &resp, err) < 0) {
		response_clear(&resp);
		return -1;
	}
	if (resp.status != 200) {
		int rc;
		if (resp.status == 404)
			rc = berth_fail(err, "manifest for %s/%s:%s not found%s", r->name, repo, ref,
					error_text(&resp, ebuf, sizeof(ebuf)));
		else if (resp.status == 401 || resp.status == 403)
			rc = berth_fail(err, "registry %s: access to %s denied%s", r->name, repo,
					error_text(&resp, ebuf, sizeof(ebuf)));
		else
			rc = berth_fail(err, "manifest for %s/%s:%s: HTTP %ld%s", r->name, repo, ref,
					resp.status, error_text(&resp, ebuf, sizeof(ebuf)));
		response_clear(&resp);
		return rc;
	}
	*body = resp.body ? resp.body : strdup("");
	*len = resp.len;
	*media_type = resp.content_type;
	resp.body = resp.content_type = NULL;
	response_clear(&resp);
	return *body ? 0 : berth_fail(err, "out of memory");
}

int registry_check_login(struct registry *r, struct berth_error **err)
{
	struct response resp = { .limit = 1 << 20, .retry_after = -1 };
	_cleanup_free_ char *url = NULL;
	int rc = 0;

	if (r->auth == AUTH_BEARER) {
		/* A token issued for the credentials proves them; no scope is needed for that. */
		return fetch_token(r, NULL, err);
	}
	if (asprintf(&url, "%s/v2/", r->base) < 0)
		return berth_fail(err, "out of memory");
	if (request(r, url, NULL, NULL, &resp, err) < 0) {
		response_clear(&resp);
		return -1;
	}
	if (resp.status != 200)
		rc = berth_fail(err, "registry %s: login refused (HTTP %ld)", r->name, resp.status);
	response_clear(&resp);
	return rc;
}

/* ---- parallel blob downloads ---------------------------------------------------------- */

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	struct blob_job *blob;
	struct registry *r;
	struct store *st;
	struct progress *pg;
	const char *scope;
	enum job_state state;
	CURL *h;
	struct curl_slist *headers;
	char *url;
	struct blob_writer w;
	struct sha256 hash;
	int64_t received;  /* bytes written and hashed so far */
	int64_t requested; /* where the current request's Range starts */
	bool body_ok;      /* this response's body is blob data */
	bool refreshed;
	unsigned token_gen; /* r->token_gen when this request's Authorization was made */
	int attempts, redirects, corrupt;
	struct response resp;
	struct timespec not_before;
	char error[512];
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void job_restart_from_zero(struct job *j)
{
	store_blob_reset(&j->w);
	sha256_final(&j->hash, (char[DIGEST_LEN + 1]){ 0 }); /* final() also re-inits */
	j->received = 0;
}

static size_t job_header(char *buf, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n;

	parse_header_line(&j->resp, buf, len);
	if (len > 2 || (buf[0] != '\r' && buf[0] != '\n'))
		return len;
	/* End of a response's headers: decide whether its body is our data. */
	j->body_ok = false;
	if (j->resp.status == 200) {
		if (j->requested > 0)
			job_restart_from_zero(j); /* Range ignored: the whole blob comes again */
		j->body_ok = true;
	} else if (j->resp.status == 206) {
		long long start = -1;
		if (j->resp.content_range)
			sscanf(j->resp.content_range, "bytes %lld-", &start);
		if (start != j->requested) {
			snprintf(j->error, sizeof(j->error), "bad Content-Range '%s' for offset %lld",
				 j->resp.content_range ? j->resp.content_range : "",
				 (long long)j->requested);
			job_restart_from_zero(j);
			return 0;
		}
		j->body_ok = true;
	}
	return len;
}

static size_t job_body(char *buf, size_t size, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = size * n, off = 0;

	if (!j->body_ok)
		return len; /* an error page or a redirect body */
	if (j->received + (int64_t)len > j->blob->desc->size) {
		snprintf(j->error, sizeof(j->error), "server sent more than the %lld bytes the manifest gives",
			 (long long)j->blob->desc->size);
		j->corrupt++;
		job_restart_from_zero(j);
		return 0;
	}
	while (off < len) {
		ssize_t w = write(j->w.fd, buf + off, len - off);
		if (w < 0) {
			snprintf(j->error, sizeof(j->error), "write: %s", strerror(errno));
			return 0;
		}
		off += w;
	}
	sha256_update(&j->hash, buf, len);
	j->received += len;
	progress_bytes(j->pg, j->blob->slot, j->received, j->blob->desc->size);
	return len;
}

static int job_start(struct job *j, CURLM *multi, struct berth_error **err)
{
	_cleanup_free_ char *authz = NULL;
	char range[64];

	if (j->h == NULL && (j->h = curl_easy_init()) == NULL)
		return berth_fail(err, "out of memory");
	if (!j->blob->foreign && same_origin(j->r, j->url) &&
	    auth_header(j->r, j->scope, false, &authz, err) < 0)
		return -1;
	j->token_gen = j->r->token_gen;
	response_clear(&j->resp);
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	j->error[0] = '\0';
	j->body_ok = false;
	curl_easy_reset(j->h);
	setup_common(j->r, j->h, j->url);
	if (authz)
		j->headers = curl_slist_append(j->headers, authz);
	j->requested = j->received;
	if (j->received > 0) {
		snprintf(range, sizeof(range), "Range: bytes=%lld-", (long long)j->received);
		j->headers = curl_slist_append(j->headers, range);
	}
	curl_easy_setopt(j->h, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(j->h, CURLOPT_HEADERFUNCTION, job_header);
	curl_easy_setopt(j->h, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(j->h, CURLOPT_WRITEFUNCTION, job_body);
	curl_easy_setopt(j->h, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_easy_setopt(j->h, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (curl_multi_add_handle(multi, j->h) != CURLM_OK)
		return berth_fail(err, "out of memory");
	j->state = JOB_RUNNING;
	return 0;
}

static void job_wait(struct job *j, long ms)
{
	long t = now_ms() + ms;
	j->not_before.tv_sec = t / 1000;
	j->not_before.tv_nsec = (t % 1000) * 1000000L;
	j->state = JOB_WAITING;
}

static long job_ready_at(const struct job *j)
{
	return j->not_before.tv_sec * 1000L + j->not_before.tv_nsec / 1000000L;
}

/* A transfer ended: commit the blob, or decide how to go on. */
static int job_finished(struct job *j, CURLcode rc, struct berth_error **err)
{
	const char *digest = j->blob->desc->digest;
	long status = j->resp.status;

	if (rc == CURLE_OK && (status == 200 || status == 206)) {
		char actual[DIGEST_LEN + 1];
		if (j->received < j->blob->desc->size) {
			/* A clean end before the declared size: resume like a broken connection. */
			if (++j->attempts >= MAX_ATTEMPTS)
				return berth_fail(err, "blob %s: only %lld of %lld bytes after %d attempts",
						  digest, (long long)j->received,
						  (long long)j->blob->desc->size, j->attempts);
			job_wait(j, backoff_ms(j->attempts - 1, -1));
			return 0;
		}
		progress_status(j->pg, j->blob->slot, "Verifying Checksum");
		sha256_final(&j->hash, actual);
		if (strcmp(actual, digest) != 0) {
			job_restart_from_zero(j);
			if (++j->corrupt >= 2)
				return berth_fail(err, "blob %s: digest mismatch: the content served hashes to %s",
						  digest, actual);
			job_wait(j, backoff_ms(0, -1));
			return 0;
		}
		if (store_blob_commit(j->st, &j->w, digest, err) < 0)
			return -1;
		progress_status(j->pg, j->blob->slot, "Download complete");
		progress_status(j->pg, j->blob->slot, "Pull complete");
		j->state = JOB_DONE;
		return 0;
	}
	if (rc == CURLE_OK && status >= 300 && status < 400) {
		char *location = NULL;
		curl_easy_getinfo(j->h, CURLINFO_REDIRECT_URL, &location);
		if (location == NULL || ++j->redirects > MAX_REDIRECTS)
			return berth_fail(err, "blob %s: bad redirect (HTTP %ld)", digest, status);
		free(j->url);
		if ((j->url = strdup(location)) == NULL)
			return berth_fail(err, "out of memory");
		job_wait(j, 0);
		return 0;
	}
	if (rc == CURLE_OK && status == 401 && !j->refreshed && !j->blob->foreign &&
	    same_origin(j->r, j->url) && j->r->auth == AUTH_BEARER) {
		_cleanup_free_ char *fresh = NULL;
		j->refreshed = true; /* the token expired during a long pull */
		/* Parallel downloads all meet the expiry: the first to see it fetches a new token,
		 * the others retry with that one. */
		if (j->token_gen == j->r->token_gen &&
		    auth_header(j->r, j->scope, true, &fresh, err) < 0)
			return -1;
		job_wait(j, 0);
		return 0;
	}
	if (rc != CURLE_OK || retryable(status)) {
		if (j->corrupt >= 2)
			return berth_fail(err, "blob %s: %s", digest, j->error);
		if (++j->attempts >= MAX_ATTEMPTS) {
			if (rc != CURLE_OK)
				return berth_fail(err, "blob %s: %s%s%s", digest, curl_easy_strerror(rc),
						  j->error[0] ? ": " : "", j->error);
			return berth_fail(err, "blob %s: HTTP %ld after %d attempts", digest, status,
					  j->attempts);
		}
		job_wait(j, backoff_ms(j->attempts - 1, status == 429 ? j->resp.retry_after : -1));
		return 0;
	}
	char ebuf[256];
	return berth_fail(err, "blob %s: HTTP %ld%s", digest, status,
			  error_text(&j->resp, ebuf, sizeof(ebuf)));
}

static void job_cleanup(struct job *j, CURLM *multi)
{
	if (j->h) {
		curl_multi_remove_handle(multi, j->h);
		curl_easy_cleanup(j->h);
	}
	curl_slist_free_all(j->headers);
	response_clear(&j->resp);
	free(j->url);
	if (j->w.fd >= 0)
		store_blob_abort(j->st, &j->w);
	sha256_free(&j->hash);
}

int registry_fetch_blobs(struct registry *r, const char *repo, struct store *st,
			 struct blob_job *blobs, size_t n, struct progress *pg,
			 struct berth_error **err)
{
	_cleanup_free_ char *scope = pull_scope(repo);
	_cleanup_free_ struct job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	CURLM *multi = curl_multi_init();
	size_t i, done = 0, running = 0;
	int rc = -1;

	if (!scope || !jobs || !multi) {
		if (multi)
			curl_multi_cleanup(multi);
		return berth_fail(err, "out of memory");
	}
	for (i = 0; i < n; i++)
		jobs[i].w.fd = -1;
	for (i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		j->blob = &blobs[i];
		j->r = r;
		j->st = st;
		j->pg = pg;
		j->scope = scope;
		j->w.fd = -1;
		j->resp.limit = 1 << 20;
		j->resp.retry_after = -1;
		if (blobs[i].foreign) {
			if (blobs[i].desc->urls_len == 0) {
				berth_fail(err, "blob %s: foreign layer without urls", blobs[i].desc->digest);
				goto out;
			}
			j->url = strdup(blobs[i].desc->urls[0]);
			if (j->url && strncmp(j->url, "https://", 8) != 0 &&
			    strncmp(j->url, "http://", 7) != 0) {
				berth_fail(err, "blob %s: foreign layer url '%s' is not http(s)",
					   blobs[i].desc->digest, j->url);
				goto out;
			}
		} else if (asprintf(&j->url, "%s/v2/%s/blobs/%s", r->base, repo,
				    blobs[i].desc->digest) < 0) {
			j->url = NULL;
		}
		if (j->url == NULL || sha256_init(&j->hash) < 0) {
			berth_fail(err, "out of memory");
			goto out;
		}
		if (store_blob_begin(st, &j->w, err) < 0)
			goto out;
	}

	while (done < n) {
		long now = now_ms(), wait = 1000;
		int still, msgs;
		CURLMsg *m;

		for (i = 0; i < n && running < MAX_PARALLEL; i++) {
			struct job *j = &jobs[i];
			if (j->state != JOB_WAITING)
				continue;
			if (job_ready_at(j) > now) {
				if (job_ready_at(j) - now < wait)
					wait = job_ready_at(j) - now;
				continue;
			}
			if (j->attempts == 0 && j->redirects == 0 && j->received == 0)
				progress_status(pg, j->blob->slot, "Downloading");
			if (job_start(j, multi, err) < 0)
				goto out;
			running++;
		}
		curl_multi_perform(multi, &still);
		while ((m = curl_multi_info_read(multi, &msgs))) {
			struct job *j;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			CURLcode result = m->data.result;
			curl_multi_remove_handle(multi, j->h);
			running--;
			if (job_finished(j, result, err) < 0)
				goto out;
			if (j->state == JOB_DONE)
				done++;
		}
		if (done < n)
			curl_multi_poll(multi, NULL, 0, running ? 100 : (int)(wait > 0 ? wait : 1), NULL);
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		job_cleanup(&jobs[i], multi);
	curl_multi_cleanup(multi);
	return rc;
}
