/*
 * Reading and writing the auth file. Lookups ask the credential helper the file names
 * (credHelpers, credsStore) before its auths entries. The file may hold members berth-pull
 * does not know (HttpHeaders, ...): a rewrite copies every member through untouched.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "auth.h"
#include "credhelper.h"
#include "reference.h"
#include "util.h"

char *auth_file_path(const char *authfile)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"), *home;
	char *out;

	if (authfile && *authfile)
		return strdup(authfile);
	if (env && *env)
		return strdup(env);
	env = getenv("DOCKER_CONFIG");
	if (env && *env)
		return asprintf(&out, "%s/config.json", env) < 0 ? NULL : out;
	home = getenv("HOME");
	if (asprintf(&out, "%s/.docker/config.json", home && *home ? home : "/root") < 0)
		return NULL;
	return out;
}

/* "https://index.docker.io/v1/" -> "docker.io"; "http://host:5000/" -> "host:5000". */
static char *normalize_key(const char *key)
{
	char *k, *end;

	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	k = strdup(key);
	if (k == NULL)
		return NULL;
	end = k + strlen(k);
	while (end > k && end[-1] == '/')
		*--end = '\0';
	if (end - k > 3 && strcmp(end - 3, "/v1") == 0)
		end[-3] = '\0';
	if (end - k > 3 && strcmp(end - 3, "/v2") == 0)
		end[-3] = '\0';
	if (strncmp(k, "index.docker.io", 15) == 0 || strncmp(k, "registry-1.docker.io", 20) == 0) {
		char *rest = strchr(k, '/'), *n;
		if (asprintf(&n, "%s%s", DOCKER_HUB, rest ? rest : "") < 0)
			n = NULL;
		free(k);
		return n;
	}
	return k;
}

static int read_file(const char *path, char **out, struct berth_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0, n;

	*out = NULL;
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		return berth_fail_errno(err, errno, "auth file '%s'", path);
	}
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536 + 1);
			if (nb == NULL)
				return berth_fail(err, "out of memory");
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f))
		return berth_fail_errno(err, EIO, "read auth file '%s'", path);
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return 1;
}

static int parse_file(const char *path, yajl_val *tree, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	char errbuf[256] = "";
	int r = read_file(path, &text, err);

	*tree = NULL;
	if (r <= 0)
		return r;
	*tree = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (*tree == NULL || !YAJL_IS_OBJECT(*tree)) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		yajl_tree_free(*tree);
		*tree = NULL;
		return berth_fail(err, "auth file '%s': invalid JSON: %s", path,
				  errbuf[0] ? errbuf : "expected an object");
	}
	return 1;
}

static int decode_auth(const char *b64, char **user, char **pass)
{
	size_t len = strlen(b64);
	_cleanup_free_ unsigned char *raw = malloc(len + 4);
	char *colon;
	int n;

	if (raw == NULL)
		return -1;
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, len);
	if (n < 0)
		return -1;
	/* EVP_DecodeBlock counts the padding as zero bytes; drop them. */
	while (n > 0 && len > 0 && b64[len - 1] == '=') {
		n--;
		len--;
	}
	raw[n] = '\0';
	colon = strchr((char *)raw, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	*user = strdup((char *)raw);
	*pass = strdup(colon + 1);
	return *user && *pass ? 0 : -1;
}

/* The helper the file names for `registry`: credHelpers["registry"], else credsStore. */
static const char *helper_for(yajl_val tree, const char *registry)
{
	const char *hpath[] = { "credHelpers", NULL }, *spath[] = { "credsStore", NULL };
	yajl_val helpers = yajl_tree_get(tree, hpath, yajl_t_object), store;

	for (size_t i = 0; helpers && i < helpers->u.object.len; i++) {
		_cleanup_free_ char *key = normalize_key(helpers->u.object.keys[i]);
		yajl_val v = helpers->u.object.values[i];
		if (key && strcmp(key, registry) == 0 && YAJL_IS_STRING(v))
			return v->u.string;
	}
	store = yajl_tree_get(tree, spath, yajl_t_string);
	return store && store->u.string[0] ? store->u.string : NULL;
}

int auth_lookup(const char *file, const char *registry, const char *repository, char **user,
		char **pass, struct berth_error **err)
{
	yajl_val tree, auths;
	const char *path[] = { "auths", NULL };
	_cleanup_free_ char *full = NULL;
	size_t best = 0, i;
	const char *best_auth = NULL;
	int r;

	*user = *pass = NULL;
	r = parse_file(file, &tree, err);
	if (r <= 0)
		return r;
	/* A helper, when one is named, is asked first; when it has nothing for this registry the
	 * file's own entries still count (as with podman). */
	const char *helper = helper_for(tree, registry);
	if (helper) {
		r = credhelper_get(helper, registry, user, pass, err);
		if (r != 0) {
			yajl_tree_free(tree);
			return r < 0 ? -1 : 0;
		}
	}
	if (asprintf(&full, "%s/%s", registry, repository ? repository : "") < 0) {
		yajl_tree_free(tree);
		return berth_fail(err, "out of memory");
	}
	auths = yajl_tree_get(tree, path, yajl_t_object);
	for (i = 0; auths && i < auths->u.object.len; i++) {
		_cleanup_free_ char *key = normalize_key(auths->u.object.keys[i]);
		const char *apath[] = { "auth", NULL };
		yajl_val entry = auths->u.object.values[i], a;
		size_t klen;

		if (key == NULL)
			continue;
		klen = strlen(key);
		/* "host" matches everything on host; "host/ns" matches "host/ns/..." only. */
		if (strncmp(full, key, klen) != 0 || (full[klen] != '/' && full[klen] != '\0'))
			continue;
		a = yajl_tree_get(entry, apath, yajl_t_string);
		if (a == NULL || klen < best)
			continue;
		best = klen;
		best_auth = a->u.string;
	}
	r = 0;
	if (best_auth && decode_auth(best_auth, user, pass) < 0) {
		free(*user);
		free(*pass);
		*user = *pass = NULL;
		r = berth_fail(err, "auth file '%s': entry for '%s' is not base64 of user:password",
			       file, registry);
	}
	yajl_tree_free(tree);
	return r;
}

/* ---- rewriting ---------------------------------------------------------------------- */

static void gen_tree(yajl_gen g, yajl_val v)
{
	size_t i;

	if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v)) {
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (i = 0; i < v->u.array.len; i++)
			gen_tree(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (i = 0; i < v->u.object.len; i++) {
			const char *k = v->u.object.keys[i];
			yajl_gen_string(g, (const unsigned char *)k, strlen(k));
			gen_tree(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
}

static void gen_str(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static int write_atomic(const char *file, const unsigned char *buf, size_t len,
			struct berth_error **err)
{
	_cleanup_free_ char *tmp = NULL, *dircopy = strdup(file);
	_cleanup_close_ int fd = -1;

	if (dircopy == NULL || asprintf(&tmp, "%s.tmp-%d", file, (int)getpid()) < 0)
		return berth_fail(err, "out of memory");
	/* The folder holding the auth file is private, as docker and podman make it. */
	if (mkdir(dirname(dircopy), 0700) < 0 && errno != EEXIST)
		return berth_fail_errno(err, errno, "create the folder of '%s'", file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_fail_errno(err, errno, "write auth file '%s'", tmp);
	if (write(fd, buf, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0 ||
	    rename(tmp, file) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return berth_fail_errno(err, e, "write auth file '%s'", file);
	}
	return 0;
}

/* Rewrite the file with `registry`'s entries dropped and, when user is set, a new one added. */
static int rewrite(const char *file, const char *registry, const char *user, const char *pass,
		   int *removed, struct berth_error **err)
{
	yajl_val tree = NULL;
	yajl_gen g;
	const unsigned char *buf;
	size_t len, i;
	int r;

	*removed = 0;
	if (parse_file(file, &tree, err) < 0)
		return -1;
	g = yajl_gen_alloc(NULL);
	if (g == NULL) {
		yajl_tree_free(tree);
		return berth_fail(err, "out of memory");
	}
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "\t");
	yajl_gen_map_open(g);
	gen_str(g, "auths");
	yajl_gen_map_open(g);
	for (i = 0; tree && i < tree->u.object.len; i++) {
		yajl_val auths = tree->u.object.values[i];
		if (strcmp(tree->u.object.keys[i], "auths") != 0 || !YAJL_IS_OBJECT(auths))
			continue;
		for (size_t j = 0; j < auths->u.object.len; j++) {
			_cleanup_free_ char *key = normalize_key(auths->u.object.keys[j]);
			if (key && strcmp(key, registry) == 0) {
				(*removed)++;
				continue;
			}
			gen_str(g, auths->u.object.keys[j]);
			gen_tree(g, auths->u.object.values[j]);
		}
	}
	if (user) {
		_cleanup_free_ char *plain = NULL;
		_cleanup_free_ unsigned char *b64 = NULL;
		int n = asprintf(&plain, "%s:%s", user, pass);
		if (n < 0 || (b64 = malloc(4 * ((n + 2) / 3) + 1)) == NULL) {
			yajl_gen_free(g);
			yajl_tree_free(tree);
			return berth_fail(err, "out of memory");
		}
		EVP_EncodeBlock(b64, (unsigned char *)plain, n);
		gen_str(g, registry);
		yajl_gen_map_open(g);
		gen_str(g, "auth");
		gen_str(g, (char *)b64);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	for (i = 0; tree && i < tree->u.object.len; i++) {
		if (strcmp(tree->u.object.keys[i], "auths") == 0)
			continue;
		gen_str(g, tree->u.object.keys[i]);
		gen_tree(g, tree->u.object.values[i]);
	}
	yajl_gen_map_close(g);
	yajl_gen_get_buf(g, &buf, &len);
	r = write_atomic(file, buf, len, err);
	yajl_gen_free(g);
	yajl_tree_free(tree);
	return r;
}

int auth_store(const char *file, const char *registry, const char *user, const char *pass,
	       struct berth_error **err)
{
	int removed;

	return rewrite(file, registry, user, pass, &removed, err);
}

int auth_remove(const char *file, const char *registry, struct berth_error **err)
{
	int removed;

	if (access(file, F_OK) < 0)
		return 0;
	if (rewrite(file, registry, NULL, NULL, &removed, err) < 0)
		return -1;
	return removed > 0;
}
