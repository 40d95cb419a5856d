/*
 * probe-fs: the probe's view of what the process can see of the system — its namespaces, its
 * mounts (mountinfo, with propagation), its open fds and its cgroups. Read-only: it lists and
 * reads /proc and never opens anything else.
 */
#include "config.h"

#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/*
 * Names in a /proc directory, sorted, without "." and "..": a NULL-terminated array the caller
 * frees with free_names(), or NULL with errno set. *dir stays open for readlinkat() and the
 * caller closes it; its fd appears in /proc/self/fd's own listing.
 */
static char **list_directory(const char *path, DIR **dir, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*dir = opendir(path);
	if (*dir == NULL)
		return NULL;
	while ((errno = 0, de = readdir(*dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
				goto fail;
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			goto fail;
		names[++n] = NULL;
	}
	if (errno != 0)
		goto fail;
	if (names == NULL && (names = calloc(1, sizeof(*names))) == NULL)
		goto fail;
	qsort(names, n, sizeof(*names), compare_strings);
	*count = n;
	return names;
fail: {
	int err = errno ? errno : ENOMEM;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(*dir);
	*dir = NULL;
	errno = err;
	return NULL;
}
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void probe_write_namespaces(struct probe *p)
{
	DIR *dir;
	size_t n;
	char **names = list_directory("/proc/self/ns", &dir, &n);

	jsonw_key(&p->out, "namespaces");
	if (names == NULL) {
		probe_error(p, "/proc/self/ns", errno);
		jsonw_null(&p->out);
		return;
	}
	jsonw_object_open(&p->out);
	for (size_t i = 0; i < n; i++) {
		char target[PATH_MAX];
		ssize_t len = readlinkat(dirfd(dir), names[i], target, sizeof(target));
		jsonw_key(&p->out, names[i]);
		if (len < 0 || (size_t)len >= sizeof(target)) {
			probe_error(p, "/proc/self/ns", len < 0 ? errno : ENAMETOOLONG);
			jsonw_null(&p->out);
		} else {
			jsonw_string_n(&p->out, target, (size_t)len);
		}
	}
	jsonw_object_close(&p->out);
	closedir(dir);
	free_names(names, n);
}

/* Open file descriptors and what they point at, the listing's own fd left out. */
void probe_write_fds(struct probe *p)
{
	DIR *dir;
	size_t n;
	char **names = list_directory("/proc/self/fd", &dir, &n);

	jsonw_key(&p->out, "fds");
	if (names == NULL) {
		probe_error(p, "/proc/self/fd", errno);
		jsonw_null(&p->out);
		return;
	}
	int *fds = calloc(n + 1, sizeof(*fds));
	size_t n_fds = 0;
	if (fds == NULL) {
		probe_error(p, "/proc/self/fd", ENOMEM);
		jsonw_null(&p->out);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int fd = atoi(names[i]);
		if (fd != dirfd(dir))
			fds[n_fds++] = fd;
	}
	qsort(fds, n_fds, sizeof(*fds), compare_ints);
	jsonw_object_open(&p->out);
	for (size_t i = 0; i < n_fds; i++) {
		char name[16], target[PATH_MAX];
		snprintf(name, sizeof(name), "%d", fds[i]);
		ssize_t len = readlinkat(dirfd(dir), name, target, sizeof(target));
		jsonw_key(&p->out, name);
		if (len < 0 || (size_t)len >= sizeof(target))
			jsonw_null(&p->out); /* closed since the listing, or not a link we can read */
		else
			jsonw_string_n(&p->out, target, (size_t)len);
	}
	jsonw_object_close(&p->out);
out:
	free(fds);
	closedir(dir);
	free_names(names, n);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void write_comma_list(struct probe *p, const char *key, char *list)
{
	jsonw_key(&p->out, key);
	jsonw_array_open(&p->out);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		jsonw_string(&p->out, tok);
	jsonw_array_close(&p->out);
}

/*
 * One mountinfo line (proc(5)): id parent major:minor root mount-point options [optional...] -
 * fstype source super-options. Returns -EINVAL on a line of another shape.
 */
static int write_mount(struct probe *p, char *line)
{
	char *field[64];
	int n = 0, dash = -1;

	for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && n < 64; tok = strtok_r(NULL, " ", &save)) {
		if (dash < 0 && n >= 6 && strcmp(tok, "-") == 0)
			dash = n;
		field[n++] = tok;
	}
	if (dash < 0 || n < dash + 3)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		unescape_octal(field[i]);

	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "id");
	jsonw_int(&p->out, atoi(field[0]));
	jsonw_key(&p->out, "parent");
	jsonw_int(&p->out, atoi(field[1]));
	jsonw_key(&p->out, "dev");
	jsonw_string(&p->out, field[2]);
	jsonw_key(&p->out, "root");
	jsonw_string(&p->out, field[3]);
	jsonw_key(&p->out, "mount_point");
	jsonw_string(&p->out, field[4]);
	write_comma_list(p, "options", field[5]);
	/* shared:N, master:N, propagate_from:N, unbindable; none means private. */
	jsonw_key(&p->out, "propagation");
	jsonw_array_open(&p->out);
	for (int i = 6; i < dash; i++)
		jsonw_string(&p->out, field[i]);
	jsonw_array_close(&p->out);
	jsonw_key(&p->out, "fs_type");
	jsonw_string(&p->out, field[dash + 1]);
	jsonw_key(&p->out, "source");
	jsonw_string(&p->out, field[dash + 2]);
	if (n > dash + 3)
		write_comma_list(p, "super_options", field[dash + 3]);
	jsonw_object_close(&p->out);
	return 0;
}

void probe_write_mounts(struct probe *p)
{
	char *info = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/mountinfo", 64 << 20, &info, &len);

	jsonw_key(&p->out, "mounts");
	if (r < 0) {
		probe_error(p, "/proc/self/mountinfo", -r);
		jsonw_null(&p->out);
		return;
	}
	jsonw_array_open(&p->out);
	for (char *save = NULL, *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (write_mount(p, line) < 0)
			probe_error(p, "/proc/self/mountinfo", EINVAL);
	}
	jsonw_array_close(&p->out);
	free(info);
}

/* /proc/self/cgroup: "hierarchy-id:controller,list:path" a line; the path may hold colons. */
void probe_write_cgroups(struct probe *p)
{
	char *text = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/cgroup", 1 << 20, &text, &len);

	jsonw_key(&p->out, "cgroup");
	if (r < 0) {
		probe_error(p, "/proc/self/cgroup", -r);
		jsonw_null(&p->out);
		return;
	}
	jsonw_array_open(&p->out);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *controllers = strchr(line, ':');
		char *path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (path == NULL) {
			probe_error(p, "/proc/self/cgroup", EINVAL);
			continue;
		}
		*controllers++ = '\0';
		*path++ = '\0';
		jsonw_object_open(&p->out);
		jsonw_key(&p->out, "id");
		jsonw_int(&p->out, atoi(line));
		write_comma_list(p, "controllers", controllers);
		jsonw_key(&p->out, "path");
		jsonw_string(&p->out, path);
		jsonw_object_close(&p->out);
	}
	jsonw_array_close(&p->out);
	free(text);
}
