/*
 * berth-pull: fetch images from a registry into an OCI image layout store, list and remove
 * them, and unpack them into runtime bundles. Options are spelled as skopeo and podman spell
 * them. This file only parses the command line and dispatches; it must never hold pull,
 * store or unpack logic of its own.
 */
#include "config.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "bundle.h"
#include "images.h"
#include "pull.h"
#include "reference.h"
#include "registry.h"
#include "store.h"
#include "util.h"

static const char usage[] =
	"usage: berth-pull [OPTIONS] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  pull REF                 fetch an image into the store\n"
	"  images                   list the images in the store\n"
	"  bundle REF DIR [-- ARGS] unpack an image into a runtime bundle (pulls if missing)\n"
	"  rmi REF|ID               remove an image and the blobs no other image uses\n"
	"  login [-u USER] [-p PASS|--password-stdin] HOST\n"
	"  logout HOST\n"
	"\n"
	"options:\n"
	"  --store DIR              image store (default " STORE_DEFAULT_DIR ")\n"
	"  --default-registry HOST  registry for short names (default docker.io;\n"
	"                           also $BERTH_DEFAULT_REGISTRY)\n"
	"  --registry-mirror HOST   try HOST first for docker.io images (repeatable)\n"
	"  --tls-verify=false       accept any certificate and allow plain HTTP\n"
	"  --cert-dir DIR           ca.crt and client NAME.cert/NAME.key for the registry\n"
	"  --creds USER:PASS        credentials for the registry\n"
	"  --authfile FILE          auth file (default $REGISTRY_AUTH_FILE, ~/.docker/config.json)\n"
	"  --platform OS/ARCH[/V]   platform to pick from a multi-platform image\n"
	"  -q, --quiet              print only the image name (pull) or IDs (images)\n"
	"  -h, --help               this text\n"
	"  -v, --version            version\n";

struct cli {
	const char *store;
	const char *default_registry;
	const char *username, *password;
	bool password_stdin;
	struct pull_opts pull;
	char **extra; /* after "--" */
	size_t nextra;
};

enum {
	OPT_STORE = 256,
	OPT_DEFAULT_REGISTRY,
	OPT_TLS_VERIFY,
	OPT_CERT_DIR,
	OPT_CREDS,
	OPT_AUTHFILE,
	OPT_PLATFORM,
	OPT_PASSWORD_STDIN,
	OPT_MIRROR,
};

static const struct option options[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "default-registry", required_argument, NULL, OPT_DEFAULT_REGISTRY },
	{ "tls-verify", optional_argument, NULL, OPT_TLS_VERIFY },
	{ "cert-dir", required_argument, NULL, OPT_CERT_DIR },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "authfile", required_argument, NULL, OPT_AUTHFILE },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "quiet", no_argument, NULL, 'q' },
	{ "username", required_argument, NULL, 'u' },
	{ "password", required_argument, NULL, 'p' },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "registry-mirror", required_argument, NULL, OPT_MIRROR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int fail(const char *cmd, struct berth_error *err)
{
	fprintf(stderr, "berth-pull: %s%s%s\n", cmd ? cmd : "", cmd ? ": " : "",
		err ? err->msg : "failed");
	berth_error_free(err);
	return 1;
}

static int parse_bool(const char *opt, const char *v, bool *out)
{
	if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	fprintf(stderr, "berth-pull: --%s: expected true or false, got '%s'\n", opt, v);
	return -1;
}

static int open_store(struct cli *c, bool create, struct store *st, struct berth_error **err)
{
	return store_open(st, c->store, create, err);
}

static int cmd_pull(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	struct image_ref ref;
	struct store st;
	int r;

	if (n != 1) {
		fprintf(stderr, "berth-pull: pull: expected one image reference\n");
		return 2;
	}
	if (image_ref_parse(args[0], c->default_registry, &ref, &err) < 0)
		return fail("pull", err);
	if (open_store(c, true, &st, &err) < 0) {
		image_ref_clear(&ref);
		return fail("pull", err);
	}
	r = pull_image(&c->pull, &st, &ref, &err);
	store_close(&st);
	image_ref_clear(&ref);
	return r < 0 ? fail(NULL, err) : 0;
}

static int cmd_images(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	struct store st;
	int r;

	if (n != 0) {
		fprintf(stderr, "berth-pull: images: takes no arguments\n");
		return 2;
	}
	if (access(c->store, F_OK) < 0) {
		/* No store yet: an empty list, as docker shows on a fresh host. */
		if (!c->pull.quiet)
			printf("REPOSITORY   TAG       IMAGE ID       CREATED   SIZE\n");
		return 0;
	}
	if (open_store(c, false, &st, &err) < 0)
		return fail("images", err);
	r = images_list(&st, c->pull.quiet, &err);
	store_close(&st);
	return r < 0 ? fail("images", err) : 0;
}

static int cmd_rmi(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	struct store st;
	int rc = 0;

	if (n == 0) {
		fprintf(stderr, "berth-pull: rmi: expected at least one image\n");
		return 2;
	}
	if (open_store(c, false, &st, &err) < 0)
		return fail("rmi", err);
	for (size_t i = 0; i < n; i++)
		if (images_remove(&st, args[i], c->default_registry, &err) < 0)
			rc = fail("rmi", steal_pointer(&err));
	store_close(&st);
	return rc;
}

static int cmd_bundle(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	struct oci_descriptor *desc = NULL;
	_cleanup_free_ char *canonical = NULL, *familiar = NULL;
	struct image_ref ref;
	struct store st;
	int r;

	if (n != 2) {
		fprintf(stderr, "berth-pull: bundle: expected an image reference and a directory\n");
		return 2;
	}
	if (image_ref_parse(args[0], c->default_registry, &ref, &err) < 0)
		return fail("bundle", err);
	canonical = image_ref_canonical(&ref);
	familiar = image_ref_familiar(&ref);
	if (!canonical || !familiar || open_store(c, true, &st, &err) < 0) {
		image_ref_clear(&ref);
		return fail("bundle", err);
	}
	r = store_lock_gc(&st, false, &err);
	if (r == 0)
		r = store_find(&st, canonical, &desc, &err);
	if (r == 0 && desc == NULL) {
		fprintf(stderr, "Unable to find image '%s' locally\n", familiar);
		r = pull_image(&c->pull, &st, &ref, &err);
		if (r == 0)
			r = store_find(&st, canonical, &desc, &err);
		if (r == 0 && desc == NULL)
			r = berth_fail(&err, "image %s vanished from the store", familiar);
	}
	if (r == 0)
		r = bundle_create(&st, desc, args[1], c->extra, c->nextra, &err);
	oci_free(&oci_descriptor_type, desc);
	store_close(&st);
	image_ref_clear(&ref);
	return r < 0 ? fail("bundle", err) : 0;
}

static char *read_password_stdin(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static int cmd_login(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	struct registry reg;
	_cleanup_free_ char *file = NULL, *creds = NULL, *stdin_pass = NULL;
	struct registry_opts ro = c->pull.reg;
	const char *host = n == 1 ? args[0] : DOCKER_HUB;
	const char *pass = c->password;

	if (n > 1) {
		fprintf(stderr, "berth-pull: login: expected one registry host\n");
		return 2;
	}
	if (c->password_stdin) {
		stdin_pass = read_password_stdin();
		pass = stdin_pass;
	}
	if (c->username == NULL || pass == NULL) {
		fprintf(stderr, "berth-pull: login: give --username and --password or --password-stdin\n");
		return 2;
	}
	if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0)
		host = DOCKER_HUB;
	if (asprintf(&creds, "%s:%s", c->username, pass) < 0 ||
	    (file = auth_file_path(ro.authfile)) == NULL)
		return fail("login", NULL);
	ro.creds = creds;
	ro.authfile = NULL;
	if (registry_open(&reg, host, &ro, &err) < 0)
		return fail("login", err);
	if (registry_check_login(&reg, &err) < 0) {
		registry_close(&reg);
		return fail("login", err);
	}
	registry_close(&reg);
	if (auth_store(file, host, c->username, pass, &err) < 0)
		return fail("login", err);
	printf("Login Succeeded\n");
	return 0;
}

static int cmd_logout(struct cli *c, char **args, size_t n)
{
	struct berth_error *err = NULL;
	_cleanup_free_ char *file = auth_file_path(c->pull.reg.authfile);
	const char *host = n == 1 ? args[0] : DOCKER_HUB;
	int r;

	if (n > 1) {
		fprintf(stderr, "berth-pull: logout: expected one registry host\n");
		return 2;
	}
	if (file == NULL)
		return fail("logout", NULL);
	r = auth_remove(file, host, &err);
	if (r < 0)
		return fail("logout", err);
	if (r == 0) {
		fprintf(stderr, "berth-pull: logout: not logged in to %s\n", host);
		return 1;
	}
	printf("Removing login credentials for %s\n", host);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cli *, char **, size_t);
} commands[] = {
	{ "pull", cmd_pull },	  { "images", cmd_images }, { "bundle", cmd_bundle },
	{ "rmi", cmd_rmi },	  { "login", cmd_login },   { "logout", cmd_logout },
};

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	int end = argc, opt, rc;

	c.store = STORE_DEFAULT_DIR;
	c.default_registry = getenv("BERTH_DEFAULT_REGISTRY");
	c.pull.reg.tls_verify = true;
	/* Everything after "--" belongs to the container, never to us. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			end = i;
			c.extra = argv + i + 1;
			c.nextra = argc - i - 1;
			break;
		}
	}
	while ((opt = getopt_long(end, argv, "qu:p:hv", options, NULL)) != -1) {
		switch (opt) {
		case OPT_STORE:
			c.store = optarg;
			break;
		case OPT_DEFAULT_REGISTRY:
			c.default_registry = optarg;
			break;
		case OPT_TLS_VERIFY:
			if (parse_bool("tls-verify", optarg, &c.pull.reg.tls_verify) < 0)
				return 2;
			break;
		case OPT_CERT_DIR:
			c.pull.reg.cert_dir = optarg;
			break;
		case OPT_CREDS:
			c.pull.reg.creds = optarg;
			break;
		case OPT_AUTHFILE:
			c.pull.reg.authfile = optarg;
			break;
		case OPT_PLATFORM:
			c.pull.platform = optarg;
			break;
		case 'q':
			c.pull.quiet = true;
			break;
		case 'u':
			c.username = optarg;
			break;
		case 'p':
			c.password = optarg;
			break;
		case OPT_MIRROR:
			if (c.pull.nmirrors == sizeof(c.pull.mirrors) / sizeof(c.pull.mirrors[0])) {
				fprintf(stderr, "berth-pull: --registry-mirror: at most 4 mirrors\n");
				return 2;
			}
			c.pull.mirrors[c.pull.nmirrors++] = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			c.password_stdin = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'v':
			printf("berth-pull version %s\ncommit: %s\n", PACKAGE_VERSION, BERTH_COMMIT);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind >= end) {
		fputs(usage, stderr);
		return 2;
	}
	if (c.nextra && strcmp(argv[optind], "bundle") != 0) {
		fprintf(stderr, "berth-pull: arguments after -- are only for bundle\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = commands[i].fn(&c, argv + optind + 1, end - optind - 1);
		curl_global_cleanup();
		return rc;
	}
	fprintf(stderr, "berth-pull: unknown command '%s'\n%s", argv[optind], usage);
	return 2;
}
