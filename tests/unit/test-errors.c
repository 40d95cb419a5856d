/*
 * Malformed documents and the exact one-line error each must give: invalid JSON, wrong types
 * at every nesting level, missing required members, out-of-range and negative numbers,
 * arrays where objects are expected, keyed objects with wrong values, NUL bytes, empty input.
 * Each message names the file and the JSON path; changing one is a visible, reviewed change.
 */
#include "config.h"

#include <unistd.h>

#include "oci-test.h"
#include "image.h"
#include "runtime.h"

/* A config with the one required member, plus `rest`. */
#define DOC(rest) "{\"ociVersion\":\"1.3.0\"," rest "}"
#define PROC(rest) DOC("\"process\":{\"cwd\":\"/\"," rest "}")
#define LINUX(rest) DOC("\"linux\":{" rest "}")
#define RES(rest) LINUX("\"resources\":{" rest "}")
#define SECCOMP(rest) LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"," rest "}")

struct bad {
	const char *json;
	size_t len; /* 0: strlen(json) */
	const char *error;
};

static const struct bad config_cases[] = {
	/* not JSON, or not one JSON object */
	{ "", 0, "config.json: invalid JSON: empty document" },
	{ " \n\t\r\n", 0, "config.json: invalid JSON: empty document" },
	{ "{", 0, "config.json: invalid JSON: premature EOF" },
	{ "{\"ociVersion\":\"1.3.0\"} {}", 0, "config.json: invalid JSON: trailing garbage" },
	{ "{\"ociVersion\":\"1.3.0\"}\0", 23, "config.json: invalid JSON: unexpected NUL byte" },
	{ "{\"ociVersion\":\"1.\0\"}", 20, "config.json: invalid JSON: unexpected NUL byte" },
	{ "{\"ociVersion\":\"\xff\"}", 0, "config.json: invalid JSON: invalid bytes in UTF8 string" },
	{ "{'ociVersion':'1.3.0'}", 0, "config.json: invalid JSON: invalid char in json text" },
	{ "{\"ociVersion\":\"1.3.0\",}", 0,
	  "config.json: invalid JSON: invalid object key (must be a string)" },
	{ "{\"ociVersion\":tru}", 0, "config.json: invalid JSON: invalid string in json text" },
	{ "{\"ociVersion\":\"1.3.0\",\"hostname\":\"a\nb\"}", 0,
	  "config.json: invalid JSON: invalid character inside string" },
	{ PROC("\"args\":[\"/bin/sh\\u0000-c\"]"), 0,
	  "config.json: invalid JSON: string contains \\u0000" },
	{ DOC("\"annotations\":{\"k\\u0000\":\"v\"}"), 0,
	  "config.json: invalid JSON: string contains \\u0000" },
	{ "[]", 0, "config.json: expected object" },
	{ "[{\"ociVersion\":\"1.3.0\"}]", 0, "config.json: expected object" },
	{ "\"config\"", 0, "config.json: expected object" },
	{ "null", 0, "config.json: expected object" },
	/* top level */
	{ "{}", 0, "config.json: ociVersion: is required" },
	{ "{\"ociVersion\":null}", 0, "config.json: ociVersion: is required" },
	{ "{\"ociVersion\":1.3}", 0, "config.json: ociVersion: expected string" },
	{ DOC("\"hostname\":[\"a\"]"), 0, "config.json: hostname: expected string" },
	{ DOC("\"linux\":[]"), 0, "config.json: linux: expected object" },
	/* root and mounts */
	{ DOC("\"root\":\"rootfs\""), 0, "config.json: root: expected object" },
	{ DOC("\"root\":{}"), 0, "config.json: root.path: is required" },
	{ DOC("\"root\":{\"path\":\"r\",\"readonly\":\"true\"}"), 0,
	  "config.json: root.readonly: expected boolean" },
	{ DOC("\"mounts\":{\"destination\":\"/proc\"}"), 0, "config.json: mounts: expected array" },
	{ DOC("\"mounts\":[\"proc\"]"), 0, "config.json: mounts[0]: expected object" },
	{ DOC("\"mounts\":[{\"destination\":\"/proc\"},{\"type\":\"tmpfs\"}]"), 0,
	  "config.json: mounts[1].destination: is required" },
	{ DOC("\"mounts\":[{\"destination\":\"/\",\"options\":\"ro,nosuid\"}]"), 0,
	  "config.json: mounts[0].options: expected array" },
	{ DOC("\"mounts\":[{\"destination\":\"/\",\"options\":[\"ro\",1]}]"), 0,
	  "config.json: mounts[0].options[1]: expected string" },
	{ DOC("\"mounts\":[{\"destination\":\"/\",\"uidMappings\":[{\"containerID\":0,"
	      "\"hostID\":0,\"size\":-1}]}]"),
	  0, "config.json: mounts[0].uidMappings[0].size: expected unsigned 32-bit integer, got -1" },
	/* process */
	{ DOC("\"process\":{\"args\":[\"sh\"]}"), 0, "config.json: process.cwd: is required" },
	{ PROC("\"terminal\":1"), 0, "config.json: process.terminal: expected boolean" },
	{ PROC("\"user\":{\"uid\":-1,\"gid\":0}"), 0,
	  "config.json: process.user.uid: expected unsigned 32-bit integer, got -1" },
	{ PROC("\"user\":{\"uid\":4294967296,\"gid\":0}"), 0,
	  "config.json: process.user.uid: 4294967296 is out of range for unsigned 32-bit integer" },
	{ PROC("\"user\":{\"uid\":0,\"gid\":1.5}"), 0,
	  "config.json: process.user.gid: expected unsigned 32-bit integer" },
	{ PROC("\"user\":{\"uid\":0}"), 0, "config.json: process.user.gid: is required" },
	{ PROC("\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"2\"]}"), 0,
	  "config.json: process.user.additionalGids[1]: expected unsigned 32-bit integer" },
	{ PROC("\"args\":[[\"sh\"]]"), 0, "config.json: process.args[0]: expected string" },
	{ PROC("\"env\":[\"A=1\",null]"), 0, "config.json: process.env[1]: expected string" },
	{ PROC("\"capabilities\":{\"bounding\":\"CAP_KILL\"}"), 0,
	  "config.json: process.capabilities.bounding: expected array" },
	{ PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":18446744073709551616,"
	       "\"hard\":1}]"),
	  0,
	  "config.json: process.rlimits[0].soft: 18446744073709551616 is out of range for unsigned "
	  "integer" },
	{ PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":-1}]"), 0,
	  "config.json: process.rlimits[0].hard: expected unsigned integer, got -1" },
	{ PROC("\"oomScoreAdj\":2147483648"), 0,
	  "config.json: process.oomScoreAdj: 2147483648 is out of range for 32-bit integer" },
	{ PROC("\"oomScoreAdj\":1e3"), 0,
	  "config.json: process.oomScoreAdj: expected 32-bit integer" },
	{ PROC("\"scheduler\":{\"nice\":1}"), 0, "config.json: process.scheduler.policy: is required" },
	{ PROC("\"ioPriority\":[\"IOPRIO_CLASS_RT\"]"), 0,
	  "config.json: process.ioPriority: expected object" },
	/* hooks and annotations */
	{ DOC("\"hooks\":{\"prestart\":[{\"path\":\"/h\",\"timeout\":\"5\"}]}"), 0,
	  "config.json: hooks.prestart[0].timeout: expected integer" },
	{ DOC("\"hooks\":{\"poststop\":{\"path\":\"/h\"}}"), 0,
	  "config.json: hooks.poststop: expected array" },
	{ DOC("\"hooks\":{\"createRuntime\":[{\"path\":\"/a\"},{\"args\":[]}]}"), 0,
	  "config.json: hooks.createRuntime[1].path: is required" },
	{ DOC("\"annotations\":[\"a=b\"]"), 0, "config.json: annotations: expected object" },
	{ DOC("\"annotations\":{\"a\":\"b\",\"c\":1}"), 0, "config.json: annotations.c: expected string" },
	{ DOC("\"annotations\":{\"org.example.key\":true}"), 0,
	  "config.json: annotations[\"org.example.key\"]: expected string" },
	/* linux */
	{ LINUX("\"namespaces\":[{\"path\":\"/proc/1/ns/net\"}]"), 0,
	  "config.json: linux.namespaces[0].type: is required" },
	{ LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":\"1000\",\"size\":1}]"), 0,
	  "config.json: linux.uidMappings[0].hostID: expected unsigned 32-bit integer" },
	{ LINUX("\"timeOffsets\":{\"monotonic\":{\"secs\":1,\"nanosecs\":-1}}"), 0,
	  "config.json: linux.timeOffsets.monotonic.nanosecs: expected unsigned 32-bit integer, "
	  "got -1" },
	{ LINUX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1.0}]"), 0,
	  "config.json: linux.devices[0].major: expected integer" },
	{ LINUX("\"netDevices\":[{\"name\":\"eth0\"}]"), 0,
	  "config.json: linux.netDevices: expected object" },
	{ LINUX("\"netDevices\":{\"eth0\":\"ens4\"}"), 0,
	  "config.json: linux.netDevices.eth0: expected object" },
	{ LINUX("\"netDevices\":{\"eth0\":{},\"eth1\":{\"name\":1}}"), 0,
	  "config.json: linux.netDevices.eth1.name: expected string" },
	{ LINUX("\"netDevices\":{\"a\\nb\\\"\":[]}"), 0,
	  "config.json: linux.netDevices[\"a\\x0ab\\\"\"]: expected object" },
	{ LINUX("\"sysctl\":{\"net.ipv4.ip_forward\":1}"), 0,
	  "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected string" },
	{ LINUX("\"memoryPolicy\":{\"nodes\":\"0\"}"), 0,
	  "config.json: linux.memoryPolicy.mode: is required" },
	{ LINUX("\"personality\":{\"domain\":\"LINUX\",\"flags\":\"ADDR_NO_RANDOMIZE\"}"), 0,
	  "config.json: linux.personality.flags: expected array" },
	{ LINUX("\"intelRdt\":{\"enableMonitoring\":\"yes\"}"), 0,
	  "config.json: linux.intelRdt.enableMonitoring: expected boolean" },
	/* linux.resources */
	{ RES("\"memory\":{\"limit\":\"1G\"}"), 0,
	  "config.json: linux.resources.memory.limit: expected integer" },
	{ RES("\"memory\":{\"limit\":9223372036854775808}"), 0,
	  "config.json: linux.resources.memory.limit: 9223372036854775808 is out of range for "
	  "integer" },
	{ RES("\"memory\":{\"swappiness\":-1}"), 0,
	  "config.json: linux.resources.memory.swappiness: expected unsigned integer, got -1" },
	{ RES("\"memory\":[]"), 0, "config.json: linux.resources.memory: expected object" },
	{ RES("\"cpu\":{\"cpus\":3}"), 0, "config.json: linux.resources.cpu.cpus: expected string" },
	{ RES("\"pids\":{\"limit\":true}"), 0,
	  "config.json: linux.resources.pids.limit: expected integer" },
	{ RES("\"devices\":[{\"allow\":false},{\"access\":\"rwm\"}]"), 0,
	  "config.json: linux.resources.devices[1].allow: is required" },
	{ RES("\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0}]}"), 0,
	  "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required" },
	{ RES("\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":-2}]"), 0,
	  "config.json: linux.resources.hugepageLimits[0].limit: expected unsigned integer, got -2" },
	{ RES("\"rdma\":[]"), 0, "config.json: linux.resources.rdma: expected object" },
	{ RES("\"rdma\":{\"mlx5_1\":3}"), 0, "config.json: linux.resources.rdma.mlx5_1: expected object" },
	{ RES("\"rdma\":{\"mlx5_1\":{\"hcaHandles\":\"3\"}}"), 0,
	  "config.json: linux.resources.rdma.mlx5_1.hcaHandles: expected unsigned 32-bit integer" },
	{ RES("\"unified\":{\"memory.max\":null}"), 0,
	  "config.json: linux.resources.unified[\"memory.max\"]: expected string" },
	/* linux.seccomp */
	{ LINUX("\"seccomp\":{\"syscalls\":[]}"), 0,
	  "config.json: linux.seccomp.defaultAction: is required" },
	{ SECCOMP("\"syscalls\":[{\"action\":\"SCMP_ACT_ERRNO\"}]"), 0,
	  "config.json: linux.seccomp.syscalls[0].names: is required" },
	{ SECCOMP("\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]}]"),
	  0, "config.json: linux.seccomp.syscalls[0].args[0].value: expected unsigned integer, got -1" },
	{ SECCOMP("\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}]}]"),
	  0,
	  "config.json: linux.seccomp.syscalls[0].args[0].value: 18446744073709551616 is out of "
	  "range for unsigned integer" },
	{ SECCOMP("\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":4294967296,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]"),
	  0,
	  "config.json: linux.seccomp.syscalls[0].args[0].index: 4294967296 is out of range for "
	  "unsigned 32-bit integer" },
	{ SECCOMP("\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
		  "\"args\":[{\"index\":0,\"value\":1}]}]"),
	  0, "config.json: linux.seccomp.syscalls[0].args[0].op: is required" },
	{ SECCOMP("\"defaultErrnoRet\":\"EPERM\""), 0,
	  "config.json: linux.seccomp.defaultErrnoRet: expected unsigned 32-bit integer" },
	/* several errors: the first in table order is reported, wherever it stands in the text */
	{ "{\"hostname\":1,\"ociVersion\":2}", 0, "config.json: ociVersion: expected string" },
	{ "{\"linux\":[],\"ociVersion\":null}", 0, "config.json: ociVersion: is required" },
	{ DOC("\"linux\":{\"sysctl\":{\"a\":1}},\"process\":{\"cwd\":1}"), 0,
	  "config.json: process.cwd: expected string" },
	{ DOC("\"root\":{\"readonly\":1}"), 0, "config.json: root.path: is required" },
	{ DOC("\"mounts\":[{\"destination\":\"/a\",\"type\":1},{\"destination\":2}]"), 0,
	  "config.json: mounts[0].type: expected string" },
	{ PROC("\"env\":[\"A=1\",2,3],\"args\":[true]"), 0,
	  "config.json: process.args[0]: expected string" },
	{ DOC("\"annotations\":{\"a\":1,\"b\":2}"), 0, "config.json: annotations.a: expected string" },
	/* the first of repeated members counts, a null one too */
	{ "{\"ociVersion\":null,\"ociVersion\":\"1.3.0\"}", 0, "config.json: ociVersion: is required" },
	{ DOC("\"hostname\":1,\"hostname\":\"h\""), 0, "config.json: hostname: expected string" },
	/* syntax errors and \u0000 come before type errors anywhere */
	{ "{\"ociVersion\":1,\"x\":tru}", 0, "config.json: invalid JSON: invalid string in json text" },
	{ "{\"ociVersion\":1,\"x\":\"\\u0000\"}", 0, "config.json: invalid JSON: string contains \\u0000" },
	{ "{\"ociVersion\":1,\"x\":\"\\u0000\",}", 0,
	  "config.json: invalid JSON: string contains \\u0000" },
};

/* Depth beyond the walker's limit, built at run time: yajl_tree would overflow the stack. */
static void test_deep_nesting(void)
{
	size_t depth = 100000, prefix, i;
	char *doc = malloc(2 * depth + 64);

	if (doc == NULL)
		abort();
	prefix = (size_t)sprintf(doc, "{\"ociVersion\":\"1.3.0\",\"x-vendor\":");
	for (i = 0; i < depth; i++) {
		doc[prefix + i] = '[';
		doc[prefix + depth + i] = ']';
	}
	strcpy(doc + prefix + 2 * depth, "}");
	parse_fails(&oci_config_type, "config.json", doc,
		    "config.json: invalid JSON: nested deeper than 256 levels");

	/* Brackets inside strings and comments do not count; a legal depth still parses. */
	free(doc);
	doc = malloc(depth + 64);
	if (doc == NULL)
		abort();
	prefix = (size_t)sprintf(doc, "/* [[[ */ {\"ociVersion\":\"1.3.0\",\"hostname\":\"");
	memset(doc + prefix, '[', 1000);
	strcpy(doc + prefix + 1000, "\", \"x\":[[[[{}]]]]} // {{{");
	{
		void *obj = NULL;
		char *err = NULL;
		ok(oci_parse(&oci_config_type, doc, strlen(doc), "config.json", &obj, &err) == 0,
		   "brackets in strings and comments are not nesting");
		if (err)
			diag("error: %s", err);
		free(err);
		oci_free(&oci_config_type, obj);
	}
	free(doc);
}

/* The same document read from a file names the path, not "config.json". */
static void test_file_source_names_the_path(void)
{
	char path[] = "/tmp/berth-unit-XXXXXX";
	int fd = mkstemp(path);
	void *obj = NULL;
	char *err = NULL, *want = NULL;

	if (!ok(fd >= 0, "temporary file is created"))
		return;
	if (write(fd, PROC("\"user\":{\"uid\":-5,\"gid\":0}"),
		  strlen(PROC("\"user\":{\"uid\":-5,\"gid\":0}"))) < 0)
		diag("write failed");
	close(fd);
	if (asprintf(&want, "%s: process.user.uid: expected unsigned 32-bit integer, got -5",
		     path) < 0)
		abort();
	ok(oci_parse_file(&oci_config_type, path, &obj, &err) == -1 && obj == NULL,
	   "a bad file is rejected");
	is_str(err, want, "the message names the file's path");
	unlink(path);
	free(err);
	free(want);
}

/* An image config whose `member` (JSON, with an opening quote of its own) holds `depth`
 * nested arrays; malloc'ed. */
static char *image_config_nesting(const char *member, size_t depth, const char *close)
{
	static const char head[] = "{\"architecture\":\"amd64\",\"os\":\"linux\","
				   "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},";
	size_t n = strlen(head) + strlen(member), i;
	char *doc = malloc(n + 2 * depth + strlen(close) + 1);

	if (doc == NULL)
		abort();
	strcpy(doc, head);
	strcat(doc, member);
	for (i = 0; i < depth; i++) {
		doc[n + i] = '[';
		doc[n + depth + i] = ']';
	}
	strcpy(doc + n + 2 * depth, close);
	return doc;
}

/*
 * An OCI_JSON value is kept as text through yajl_gen and written back by yajl_gen inside the
 * objects that hold it, and yajl_gen nests at most 127 levels: such a value may reach 127
 * levels in the document, counted from its top, and not one more, or the document would parse
 * and then fail to generate.
 */
static void test_deep_json_value(void)
{
	static const struct {
		const char *member, *close, *path;
		size_t depth; /* arrays in the value that fill the document's 127 levels */
	} cases[] = {
		{ "\"history\":", "}", "history", 126 },
		{ "\"config\":{\"ExposedPorts\":", "}}", "config.ExposedPorts", 125 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = image_config_nesting(cases[i].member, cases[i].depth, cases[i].close);
		char *err = NULL, *want;
		struct oci_image_config *cfg;
		void *obj = NULL, *again;

		if (!ok(oci_parse(&oci_image_config_type, doc, strlen(doc), "config", &obj, &err) == 0,
			"%s nested %zu arrays deep (127 levels in the document) is kept",
			cases[i].path, cases[i].depth))
			diag("error: %s", err ? err : "(none)");
		if ((cfg = obj) != NULL) {
			const char *text = i == 0 ? cfg->history : cfg->config->exposed_ports;
			is_int((long long)strlen(text), (long long)(2 * cases[i].depth),
			       "  as compact text");
			again = round_trip(&oci_image_config_type, cfg, cases[i].path);
			oci_free(&oci_image_config_type, again);
		}
		oci_free(&oci_image_config_type, cfg);
		free(err);
		free(doc);

		doc = image_config_nesting(cases[i].member, cases[i].depth + 1, cases[i].close);
		if (asprintf(&want, "config: %s: nested deeper than 127 levels", cases[i].path) < 0)
			abort();
		parse_fails(&oci_image_config_type, "config", doc, want);
		free(want);
		free(doc);
	}
}

int main(void)
{
	size_t i, n = sizeof(config_cases) / sizeof(config_cases[0]);

	for (i = 0; i < n; i++) {
		const struct bad *b = &config_cases[i];
		parse_fails_n(&oci_config_type, "config.json", b->json,
			      b->len ? b->len : strlen(b->json), b->error);
	}
	diag("%zu malformed config documents", n);
	test_deep_nesting();
	test_deep_json_value();
	test_file_source_names_the_path();
	return done();
}
