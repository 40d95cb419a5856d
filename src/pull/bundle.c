/*
 * Bundles from images. config.json is berth's default spec (berth_default_spec(), what
 * `berth spec` writes) parsed into libocispec's struct oci_config, overlaid with the image's
 * Entrypoint/Cmd, Env, WorkingDir, User and metadata, and generated again. User and group names are resolved
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
#include <yajl/yajl_tree.h>

#include "bundle.h"
#include "runtime.h"
#include "spec.h"
#include "unpack.h"
#include "util.h"

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

static void strv_clear(char ***v, size_t *len)
{
	for (size_t i = 0; i < *len; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*len = 0;
}

/* Append copies of n strings; on failure what was appended stays for oci_free. */
static int strv_add(char ***v, size_t *len, char *const *add, size_t n)
{
	char **nv = realloc(*v, (*len + n + 1) * sizeof(char *));

	if (nv == NULL)
		return -1;
	*v = nv;
	for (size_t i = 0; i < n; i++) {
		if ((nv[*len] = strdup(add[i])) == NULL)
			return -1;
		(*len)++;
	}
	return 0;
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

/*
 * The process as `docker run` starts it: Entrypoint + Cmd (ARGS replace Cmd), the image's Env
 * with the default PATH and the user's HOME when it names none, no terminal (so no TERM).
 */
static int set_process(struct oci_process *p, const struct oci_image_exec_config *c, struct user *u,
		       char **args, size_t nargs)
{
	_cleanup_free_ char *path = NULL, *home = NULL;

	strv_clear(&p->args, &p->args_len);
	if (c && strv_add(&p->args, &p->args_len, c->entrypoint, c->entrypoint_len) < 0)
		return -1;
	if (nargs ? strv_add(&p->args, &p->args_len, args, nargs) < 0
		  : c && strv_add(&p->args, &p->args_len, c->cmd, c->cmd_len) < 0)
		return -1;

	for (size_t i = 0; i < p->env_len && !path && !env_has(c, "PATH"); i++)
		if (strncmp(p->env[i], "PATH=", 5) == 0)
			path = steal_pointer(&p->env[i]);
	strv_clear(&p->env, &p->env_len);
	if (path && strv_add(&p->env, &p->env_len, &path, 1) < 0)
		return -1;
	if (c && strv_add(&p->env, &p->env_len, c->env, c->env_len) < 0)
		return -1;
	if (!env_has(c, "HOME") &&
	    (asprintf(&home, "HOME=%s", u->home && *u->home ? u->home : "/") < 0 ||
	     strv_add(&p->env, &p->env_len, &home, 1) < 0))
		return -1;

	free(p->cwd);
	p->cwd = strdup(c && c->working_dir && *c->working_dir ? c->working_dir : "/");
	p->terminal = false;
	p->user->uid = u->uid;
	p->user->gid = u->gid;
	free(p->user->additional_gids);
	p->user->additional_gids = steal_pointer(&u->groups);
	p->user->additional_gids_len = u->ngroups;
	return p->cwd ? 0 : -1;
}

/* The image's metadata, with the keys image-spec's conversion rules give. */
static int set_annotations(struct oci_map *ann, const struct oci_image_config *img,
			   const char *manifest_digest)
{
	const struct oci_image_exec_config *c = img->config;
	_cleanup_free_ char *ports = object_keys(c ? c->exposed_ports : NULL);
	_cleanup_free_ char *volumes = object_keys(c ? c->volumes : NULL);
	const char *const meta[][2] = {
		{ "org.opencontainers.image.os", img->os },
		{ "org.opencontainers.image.architecture", img->architecture },
		{ "org.opencontainers.image.created", img->created },
		{ "org.opencontainers.image.author", img->author },
		{ "org.opencontainers.image.exposedPorts", ports },
		{ "org.opencontainers.image.stopSignal", c ? c->stop_signal : NULL },
		{ "berth.image.volumes", volumes },
		{ "berth.image.manifest-digest", manifest_digest },
	};

	for (size_t i = 0; c && i < c->labels.len; i++)
		if (oci_map_set(ann, c->labels.keys[i], c->labels.values[i]) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
		if (meta[i][1] && oci_map_set(ann, meta[i][0], meta[i][1]) < 0)
			return -1;
	return 0;
}

/* berth's default spec (what `berth spec` writes) with the image's settings in it. */
static int generate_config(const struct oci_image_config *img, struct user *u,
			   const char *manifest_digest, char **args, size_t nargs, char **json,
			   size_t *len, struct berth_error **err)
{
	const struct oci_image_exec_config *c = img->config;
	const char *text = berth_default_spec();
	struct oci_config *cfg = NULL;
	char *msg = NULL;
	void *out;
	int rc = -1;

	if ((c ? c->entrypoint_len : 0) + (nargs ? nargs : (c ? c->cmd_len : 0)) == 0)
		return berth_fail(err, "image has no Entrypoint or Cmd: give the command after --");
	if (oci_parse(&oci_config_type, text, strlen(text), "berth default spec", &out, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	cfg = out;
	if (cfg->process == NULL || cfg->process->user == NULL) {
		berth_fail(err, "berth default spec: process.user: expected an object");
		goto out;
	}
	if (set_process(cfg->process, c, u, args, nargs) < 0 ||
	    set_annotations(&cfg->annotations, img, manifest_digest) < 0) {
		berth_fail(err, "out of memory");
		goto out;
	}
	if (oci_generate(&oci_config_type, cfg, true, json, len, &msg) < 0) {
		berth_fail_take(err, 0, msg);
		goto out;
	}
	rc = 0;
out:
	oci_free(&oci_config_type, cfg);
	return rc;
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
	/* oci_generate's pretty output already ends with a newline. */
	if (write(fd, json, len) != (ssize_t)len ||
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
