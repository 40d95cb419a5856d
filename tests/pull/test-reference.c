/*
 * Unit tests for berth-pull's pure code: reference parsing and formatting (docker's defaults),
 * digest checks, and the image-spec walker tables on real-shaped documents. No network, no
 * root, no files.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "image.h"
#include "reference.h"
#include "tap.h"

static void check_ref(const char *text, const char *defreg, const char *canonical,
		      const char *familiar)
{
	struct berth_error *err = NULL;
	struct image_ref ref;
	char *c = NULL, *f = NULL;

	if (image_ref_parse(text, defreg, &ref, &err) < 0) {
		ok(false, "parse '%s': %s", text, err->msg);
		ok(false, "familiar '%s'", text);
		berth_error_free(err);
		return;
	}
	c = image_ref_canonical(&ref);
	f = image_ref_familiar(&ref);
	is_str(c, canonical, "canonical of '%s'", text);
	is_str(f, familiar, "familiar of '%s'", text);
	free(c);
	free(f);
	image_ref_clear(&ref);
}

static void check_bad(const char *text, const char *want)
{
	struct berth_error *err = NULL;
	struct image_ref ref;

	if (image_ref_parse(text, NULL, &ref, &err) == 0) {
		ok(false, "'%s' is refused", text);
		image_ref_clear(&ref);
		return;
	}
	ok(strstr(err->msg, want) != NULL, "'%s' is refused: %s", text, err->msg);
	berth_error_free(err);
}

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_INDEX "\",\"manifests\":["
	"{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"sha256:"
	"1111111111111111111111111111111111111111111111111111111111111111\",\"size\":7,"
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"" OCI_MEDIA_MANIFEST "\",\"digest\":\"sha256:"
	"2222222222222222222222222222222222222222222222222222222222222222\",\"size\":9,"
	"\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"},"
	"\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"}}]}";

static const char config_json[] =
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\","
	"\"config\":{\"User\":\"app:staff\",\"Env\":[\"A=1\"],\"Entrypoint\":[\"/bin/sh\"],"
	"\"Cmd\":[\"-c\",\"true\"],\"ExposedPorts\":{\"80/tcp\":{}},\"WorkingDir\":\"/w\","
	"\"Labels\":{\"k\":\"v\"},\"StopSignal\":\"SIGTERM\"},"
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[{\"created_by\":\"x\"}]}";

int main(void)
{
	char d[DIGEST_LEN + 1];
	char *msg = NULL;
	void *out;

	plan(42);
	check_ref("hello-world", NULL, "docker.io/library/hello-world:latest", "hello-world:latest");
	check_ref("library/busybox:1.36", NULL, "docker.io/library/busybox:1.36", "busybox:1.36");
	check_ref("user/app", NULL, "docker.io/user/app:latest", "user/app:latest");
	check_ref("docker.io/hello-world", NULL, "docker.io/library/hello-world:latest",
		  "hello-world:latest");
	check_ref("index.docker.io/library/alpine:3", NULL, "docker.io/library/alpine:3", "alpine:3");
	check_ref("127.0.0.1:5000/hello", NULL, "127.0.0.1:5000/hello:latest",
		  "127.0.0.1:5000/hello:latest");
	check_ref("localhost/a/b/c:v1.0-rc_1", NULL, "localhost/a/b/c:v1.0-rc_1",
		  "localhost/a/b/c:v1.0-rc_1");
	check_ref("quay.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  NULL,
		  "quay.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		  "quay.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* The default registry takes short names as given: no library/ outside docker.io. */
	check_ref("hello", "127.0.0.1:5000", "127.0.0.1:5000/hello:latest", "127.0.0.1:5000/hello:latest");
	check_ref("my-registry.example/x:y", "127.0.0.1:5000", "my-registry.example/x:y",
		  "my-registry.example/x:y");

	check_bad("", "must not be empty");
	check_bad("Upper/Case", "invalid repository name");
	check_bad("a//b", "invalid repository name");
	check_bad("name:bad/tag!", "invalid repository name");
	check_bad("name:-tag", "invalid tag");
	check_bad("name@sha256:abc", "invalid digest");
	check_bad("name@md5:0123456789abcdef0123456789abcdef", "invalid digest");
	check_bad("../etc", "invalid registry host");
	check_bad(".example/x", "invalid");

	sha256_buffer("", 0, d);
	is_str(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "sha256 of nothing");
	ok(digest_valid(d), "a computed digest is valid");
	ok(!digest_valid("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
	   "upper-case hex is refused");

	if (oci_parse(&oci_index_type, index_json, strlen(index_json), "index", &out, &msg) == 0) {
		struct oci_index *idx = out;
		is_int(idx->manifests_len, 2, "index: two manifests");
		is_str(idx->manifests[0].platform->variant, "v8", "index: platform variant");
		is_int(idx->manifests[1].size, 9, "index: size");
		is_str(oci_map_get(&idx->manifests[1].annotations, "vnd.docker.reference.type"),
		       "attestation-manifest", "index: annotations");
		oci_free(&oci_index_type, idx);
	} else {
		for (int i = 0; i < 4; i++)
			ok(false, "index parses: %s", msg);
		free(msg);
	}
	msg = NULL;
	if (oci_parse(&oci_image_config_type, config_json, strlen(config_json), "config", &out,
		      &msg) == 0) {
		struct oci_image_config *c = out;
		is_str(c->config->user, "app:staff", "config: User");
		is_int(c->config->cmd_len, 2, "config: Cmd");
		is_str(c->config->exposed_ports, "{\"80/tcp\":{}}", "config: ExposedPorts kept as JSON");
		is_str(oci_map_get(&c->config->labels, "k"), "v", "config: Labels");
		is_str(c->history, "[{\"created_by\":\"x\"}]", "config: history kept as JSON");
		oci_free(&oci_image_config_type, c);
	} else {
		for (int i = 0; i < 5; i++)
			ok(false, "config parses: %s", msg);
		free(msg);
	}
	msg = NULL;
	ok(oci_parse(&oci_manifest_type, "{\"schemaVersion\":2,\"layers\":[]}", 31, "m.json", &out,
		     &msg) < 0 && strcmp(msg, "m.json: config: is required") == 0,
	   "manifest without config: %s", msg ? msg : "accepted");
	free(msg);
	return done();
}
