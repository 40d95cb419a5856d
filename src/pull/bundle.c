/*
 * Bundles from images. config.json is written with yajl_gen from a small default that mirrors
 * `runc spec` (to be merged with libberth's default builder once both exist), overlaid with
 * the image's Entrypoint/Cmd, Env, WorkingDir and User. User and group names are resolved
 * against the image's own /etc/passwd and /etc/group, opened inside the rootfs so a hostile
 * symlink there cannot make us read the host's files.
 * This file must never write outside DIR.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "bundle.h"
#include "unpack.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct user {
	uint32_t uid, gid;
	uint32_t *groups;
	size_t ngroups;
	char *home;
};

/* ---- /etc/passwd and /etc/group of the image ---------------------------------------- */

static FILE *open_image_file(int rootfd, const char *path)
{
	int fd = unpack_open_in_root(rootfd, path, O_RDONLY | O_NOCTTY);
	struct stat sb;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (f == NULL)
		close(fd);
	return f;
}

static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}

/* Split a passwd/group line into at most n fields in place. */
static size_t split_fields(char *line, char **fields, size_t n)
{
	size_t i = 0;

	line[strcspn(line, "\n")] = '\0';
	while (i < n) {
		fields[i++] = line;
		line = strchr(line, ':');
		if (line == NULL)
			break;
		*line++ = '\0';
	}
	return i;
}

static int resolve_user(int rootfd, const char *spec, struct user *u, struct berth_error **err)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : ""), *line = NULL, *name = NULL;
	char *group, *f[7];
	size_t cap = 0;
	bool have_uid, found = false;
	FILE *fp;

	memset(u, 0, sizeof(*u));
	if (copy == NULL)
		return berth_fail(err, "out of memory");
	group = strchr(copy, ':');
	if (group)
		*group++ = '\0';
	if (*copy == '\0') {
		free(copy);
		copy = strdup("0");
		if (copy == NULL)
			return berth_fail(err, "out of memory");
	}
	have_uid = parse_id(copy, &u->uid);

	fp = open_image_file(rootfd, "etc/passwd");
	while (fp && getline(&line, &cap, fp) > 0) {
		uint32_t uid, gid;
		if (split_fields(line, f, 7) < 7 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
			continue;
		if (have_uid ? uid == u->uid : strcmp(f[0], copy) == 0) {
			u->uid = uid;
			u->gid = gid;
			name = strdup(f[0]);
			u->home = strdup(f[5]);
			found = true;
			break;
		}
	}
	if (fp)
		fclose(fp);
	if (!found && !have_uid)
		return berth_fail(err, "image config: User '%s': no such user in the image's /etc/passwd", spec);

	uint32_t gid_explicit = 0;
	bool by_group = group && *group;
	bool gid_numeric = by_group && parse_id(group, &gid_explicit);
	bool gid_found = gid_numeric;
	fp = open_image_file(rootfd, "etc/group");
	while (fp && getline(&line, &cap, fp) > 0) {
		uint32_t gid;
		if (split_fields(line, f, 4) < 3 || !parse_id(f[2], &gid))
			continue;
		if (by_group && !gid_numeric && strcmp(f[0], group) == 0) {
			gid_explicit = gid;
			gid_found = true;
		}
		/* Supplementary groups, as docker adds them, only when no group was forced. */
		if (!by_group && name && f[3]) {
			for (char *m = strtok(f[3], ","); m; m = strtok(NULL, ",")) {
				if (strcmp(m, name) != 0 || gid == u->gid)
					continue;
				uint32_t *ng = realloc(u->groups, (u->ngroups + 1) * sizeof(*ng));
				if (ng == NULL) {
					fclose(fp);
					return berth_fail(err, "out of memory");
				}
				u->groups = ng;
				u->groups[u->ngroups++] = gid;
			}
		}
	}
	if (fp)
		fclose(fp);
	if (by_group && !gid_found)
		return berth_fail(err, "image config: User '%s': no such group in the image's /etc/group", spec);
	if (by_group)
		u->gid = gid_explicit;
	return 0;
}

/* ---- config.json ------------------------------------------------------------------------ */

static void s(yajl_gen g, const char *str)
{
	yajl_gen_string(g, (const unsigned char *)str, strlen(str));
}

static void kv(yajl_gen g, const char *k, const char *v)
{
	s(g, k);
	s(g, v);
}

static void num(yajl_gen g, const char *k, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", v);
	s(g, k);
	yajl_gen_number(g, buf, n);
}

static void strs(yajl_gen g, const char *k, const char *const *v, size_t n)
{
	s(g, k);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++)
		s(g, v[i]);
	yajl_gen_array_close(g);
}

static void mount(yajl_gen g, const char *dst, const char *type, const char *src,
		  const char *const *opts, size_t nopts)
{
	yajl_gen_map_open(g);
	kv(g, "destination", dst);
	kv(g, "type", type);
	kv(g, "source", src);
	if (nopts)
		strs(g, "options", opts, nopts);
	yajl_gen_map_close(g);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* runc spec's defaults for what an image does not say. */
static void default_mounts(yajl_gen g)
{
	static const char *dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	static const char *pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
	static const char *shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
	static const char *mq[] = { "nosuid", "noexec", "nodev" };
	static const char *sys[] = { "nosuid", "noexec", "nodev", "ro" };
	static const char *cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };

	s(g, "mounts");
	yajl_gen_array_open(g);
	mount(g, "/proc", "proc", "proc", NULL, 0);
	mount(g, "/dev", "tmpfs", "tmpfs", dev, N(dev));
	mount(g, "/dev/pts", "devpts", "devpts", pts, N(pts));
	mount(g, "/dev/shm", "tmpfs", "shm", shm, N(shm));
	mount(g, "/dev/mqueue", "mqueue", "mqueue", mq, N(mq));
	mount(g, "/sys", "sysfs", "sysfs", sys, N(sys));
	mount(g, "/sys/fs/cgroup", "cgroup", "cgroup", cg, N(cg));
	yajl_gen_array_close(g);
}

static void default_linux(yajl_gen g)
{
	static const char *masked[] = { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
					"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
					"/proc/sched_debug", "/sys/firmware", "/proc/scsi" };
	static const char *ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
				    "/proc/sysrq-trigger" };
	static const char *ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };

	s(g, "linux");
	yajl_gen_map_open(g);
	s(g, "resources");
	yajl_gen_map_open(g);
	s(g, "devices");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	s(g, "allow");
	yajl_gen_bool(g, 0);
	kv(g, "access", "rwm");
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	s(g, "namespaces");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < N(ns); i++) {
		yajl_gen_map_open(g);
		kv(g, "type", ns[i]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	strs(g, "maskedPaths", masked, N(masked));
	strs(g, "readonlyPaths", ro, N(ro));
	yajl_gen_map_close(g);
}

static bool env_has(const struct oci_image_exec_config *c, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; c && i < c->env_len; i++)
		if (strncmp(c->env[i], name, n) == 0 && c->env[i][n] == '=')
			return true;
	return false;
}

/* The keys of a JSON object kept as text ({"80/tcp":{}} -> "80/tcp"), comma-separated. */
static char *object_keys(const char *json)
{
	char errbuf[128];
	yajl_val v = json ? yajl_tree_parse(json, errbuf, sizeof(errbuf)) : NULL;
	char *out = NULL;
	size_t len = 0;

	if (v == NULL || !YAJL_IS_OBJECT(v) || v->u.object.len == 0) {
		yajl_tree_free(v);
		return NULL;
	}
	for (size_t i = 0; i < v->u.object.len; i++) {
		const char *k = v->u.object.keys[i];
		char *n = realloc(out, len + strlen(k) + 2);
		if (n == NULL) {
			free(out);
			yajl_tree_free(v);
			return NULL;
		}
		out = n;
		len += sprintf(out + len, "%s%s", i ? "," : "", k);
	}
	yajl_tree_free(v);
	return out;
}

static int generate_config(const struct oci_image_config *img, const struct user *u,
			   const char *manifest_digest, char **args, size_t nargs, char **json,
			   size_t *len, struct berth_error **err)
{
	static const char *caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
	static const char *capsets[] = { "bounding", "effective", "permitted", "ambient" };
	const struct oci_image_exec_config *c = img->config;
	_cleanup_free_ char *ports = object_keys(c ? c->exposed_ports : NULL);
	_cleanup_free_ char *volumes = object_keys(c ? c->volumes : NULL);
	const unsigned char *buf;
	size_t argc = 0;
	yajl_gen g;

	argc = (c ? c->entrypoint_len : 0) + (nargs ? nargs : (c ? c->cmd_len : 0));
	if (argc == 0)
		return berth_fail(err, "image has no Entrypoint or Cmd: give the command after --");
	g = yajl_gen_alloc(NULL);
	if (g == NULL)
		return berth_fail(err, "out of memory");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "\t");
	yajl_gen_config(g, yajl_gen_escape_solidus, 0);

	yajl_gen_map_open(g);
	kv(g, "ociVersion", BERTH_SPEC_VERSION);
	s(g, "process");
	yajl_gen_map_open(g);
	s(g, "terminal");
	yajl_gen_bool(g, 0);
	s(g, "user");
	yajl_gen_map_open(g);
	num(g, "uid", u->uid);
	num(g, "gid", u->gid);
	if (u->ngroups) {
		s(g, "additionalGids");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < u->ngroups; i++) {
			char b[16];
			int n = snprintf(b, sizeof(b), "%u", u->groups[i]);
			yajl_gen_number(g, b, n);
		}
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	s(g, "args");
	yajl_gen_array_open(g);
	for (size_t i = 0; c && i < c->entrypoint_len; i++)
		s(g, c->entrypoint[i]);
	if (nargs) {
		for (size_t i = 0; i < nargs; i++)
			s(g, args[i]);
	} else {
		for (size_t i = 0; c && i < c->cmd_len; i++)
			s(g, c->cmd[i]);
	}
	yajl_gen_array_close(g);
	s(g, "env");
	yajl_gen_array_open(g);
	if (!env_has(c, "PATH"))
		s(g, DEFAULT_PATH);
	for (size_t i = 0; c && i < c->env_len; i++)
		s(g, c->env[i]);
	if (!env_has(c, "HOME")) {
		_cleanup_free_ char *home = NULL;
		if (asprintf(&home, "HOME=%s", u->home && *u->home ? u->home : "/") >= 0)
			s(g, home);
	}
	yajl_gen_array_close(g);
	kv(g, "cwd", c && c->working_dir && *c->working_dir ? c->working_dir : "/");
	s(g, "capabilities");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < N(capsets); i++)
		strs(g, capsets[i], caps, N(caps));
	yajl_gen_map_close(g);
	s(g, "rlimits");
	yajl_gen_array_open(g);
	yajl_gen_map_open(g);
	kv(g, "type", "RLIMIT_NOFILE");
	num(g, "hard", 1024);
	num(g, "soft", 1024);
	yajl_gen_map_close(g);
	yajl_gen_array_close(g);
	s(g, "noNewPrivileges");
	yajl_gen_bool(g, 1);
	yajl_gen_map_close(g);

	s(g, "root");
	yajl_gen_map_open(g);
	kv(g, "path", "rootfs");
	s(g, "readonly");
	yajl_gen_bool(g, 1);
	yajl_gen_map_close(g);
	kv(g, "hostname", "berth");
	default_mounts(g);
	default_linux(g);

	/* The image's metadata, with the keys image-spec's conversion rules give. */
	s(g, "annotations");
	yajl_gen_map_open(g);
	for (size_t i = 0; c && i < c->labels.len; i++)
		kv(g, c->labels.keys[i], c->labels.values[i]);
	kv(g, "org.opencontainers.image.os", img->os);
	kv(g, "org.opencontainers.image.architecture", img->architecture);
	if (img->created)
		kv(g, "org.opencontainers.image.created", img->created);
	if (img->author)
		kv(g, "org.opencontainers.image.author", img->author);
	if (ports)
		kv(g, "org.opencontainers.image.exposedPorts", ports);
	if (c && c->stop_signal)
		kv(g, "org.opencontainers.image.stopSignal", c->stop_signal);
	if (volumes)
		kv(g, "berth.image.volumes", volumes);
	kv(g, "berth.image.manifest-digest", manifest_digest);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	yajl_gen_get_buf(g, &buf, len);
	*json = strndup((const char *)buf, *len);
	yajl_gen_free(g);
	return *json ? 0 : berth_fail(err, "out of memory");
}

static int read_json_blob(struct store *st, const char *digest, const struct oci_type *type,
			  void **out, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	char *msg = NULL;
	size_t len;

	if (store_read_blob(st, digest, &buf, &len, err) < 0)
		return -1;
	if (oci_parse(type, buf, len, digest, out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	return 0;
}

static int write_config(int dirfd, const char *json, size_t len, struct berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, ".config.json.tmp",
					O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return berth_fail_errno(err, errno, "create config.json");
	if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    renameat(dirfd, ".config.json.tmp", dirfd, "config.json") < 0) {
		int e = errno ? errno : EIO;
		unlinkat(dirfd, ".config.json.tmp", 0);
		return berth_fail_errno(err, e, "write config.json");
	}
	return 0;
}

int bundle_create(struct store *st, const struct oci_descriptor *manifest, const char *dir,
		  char **args, size_t nargs, struct berth_error **err)
{
	struct oci_manifest *m = NULL;
	struct oci_image_config *img = NULL;
	struct unpack_stats stats = { 0 };
	struct user u = { 0 };
	_cleanup_close_ int dirfd = -1, rootfd = -1;
	_cleanup_free_ char *json = NULL;
	bool made_rootfs = false;
	size_t len;
	void *out;
	int rc = -1;

	if (read_json_blob(st, manifest->digest, &oci_manifest_type, &out, err) < 0)
		goto fail;
	m = out;
	if (read_json_blob(st, m->config->digest, &oci_image_config_type, &out, err) < 0)
		goto fail;
	img = out;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		berth_fail_errno(err, errno, "bundle '%s'", dir);
		goto fail;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		berth_fail_errno(err, errno, "bundle '%s'", dir);
		goto fail;
	}
	if (faccessat(dirfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    mkdirat(dirfd, "rootfs", 0755) < 0) {
		berth_fail(err, "bundle '%s': already holds a config.json or a rootfs", dir);
		goto fail;
	}
	made_rootfs = true;
	rootfd = openat(dirfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0) {
		berth_fail_errno(err, errno, "bundle '%s/rootfs'", dir);
		goto fail;
	}
	for (size_t i = 0; i < m->layers_len; i++) {
		_cleanup_close_ int blob = store_open_blob(st, m->layers[i].digest, err);
		if (blob < 0 ||
		    unpack_layer(rootfd, blob, m->layers[i].digest, &stats, err) < 0)
			goto fail;
	}
	if (resolve_user(rootfd, img->config ? img->config->user : NULL, &u, err) < 0 ||
	    generate_config(img, &u, manifest->digest, args, nargs, &json, &len, err) < 0 ||
	    write_config(dirfd, json, len, err) < 0)
		goto fail;
	if (stats.refused)
		fprintf(stderr, "berth-pull: bundle '%s': %lu hostile or unsupported entries refused\n",
			dir, stats.refused);
	rc = 0;
fail:
	if (rc < 0 && made_rootfs)
		unpack_remove_tree(dirfd, "rootfs");
	free(u.groups);
	free(u.home);
	oci_free(&oci_manifest_type, m);
	oci_free(&oci_image_config_type, img);
	return rc;
}
