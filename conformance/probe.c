/*
 * probe: a static program placed in a container's rootfs that reports what the container really
 * got, as one JSON object on stdout (see probe-self.c for the attributes every run reports).
 * Arguments ask for more, each one or more times, in any order:
 *   stat=PATH     lstat(2): type, mode, uid, gid, rdev (devices), target (symlinks)
 *   open=PATH     whether PATH opens for reading and for writing ("ok" or an errno name)
 *   create=DIR    whether a new file can be created in DIR (it is removed again)
 *   read=PATH     the contents of PATH (up to 1 MiB)
 *   sysctl=NAME   the value of /proc/sys/NAME (net.ipv4.ip_forward)
 * Exit status: 0 when the report was written, 1 when it could not be, 2 on a bad argument.
 * Failures to observe something are not failures of the probe: they are reported in the JSON
 * ("errors" and null values). It must never depend on anything in the rootfs, and never change
 * what it observes beyond create='s own scratch file.
 */
#include "config.h"

#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define READ_MAX (1 << 20)

/* The requests, by kind, so the report can group them under one key each. */
static const char *const request_kinds[] = { "stat", "open", "create", "read", "sysctl" };
#define N_REQUEST_KINDS (sizeof(request_kinds) / sizeof(request_kinds[0]))

int probe_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t cap = 4096, used = 0;
	char *data = NULL;

	if (fd < 0)
		return -errno;
	/* /proc files report size 0: read until EOF, growing the buffer. */
	for (;;) {
		if (used + 1 >= cap || data == NULL) {
			if (data != NULL)
				cap *= 2;
			char *grown = realloc(data, cap);
			if (grown == NULL) {
				free(data);
				close(fd);
				return -ENOMEM;
			}
			data = grown;
		}
		size_t want = cap - used - 1;
		if (used + want > max)
			want = max - used;
		if (want == 0)
			break;
		ssize_t n = read(fd, data + used, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(data);
			close(fd);
			return -err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	data[used] = '\0';
	*buf = data;
	*len = used;
	return 0;
}

const char *probe_errno_name(int err)
{
	const char *name = strerrorname_np(err);
	return name ? name : "EUNKNOWN";
}

void probe_error(struct probe *p, const char *what, int err)
{
	char **grown = realloc(p->errors, (p->n_errors + 1) * sizeof(*p->errors));
	char *line;

	if (grown == NULL)
		return;
	p->errors = grown;
	if (asprintf(&line, "%s: %s", what, strerror(err)) < 0)
		return;
	p->errors[p->n_errors++] = line;
}

static void write_error_object(struct probe *p, int err)
{
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "error");
	jsonw_string(&p->out, probe_errno_name(err));
	jsonw_object_close(&p->out);
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "char";
	case S_IFBLK:
		return "block";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	default:
		return "unknown";
	}
}

static void request_stat(struct probe *p, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		write_error_object(p, errno);
		return;
	}
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "type");
	jsonw_string(&p->out, file_type(st.st_mode));
	/* Decimal, as config.json's fileMode is: 438 is 0666. */
	jsonw_key(&p->out, "mode");
	jsonw_uint(&p->out, st.st_mode & 07777);
	jsonw_key(&p->out, "uid");
	jsonw_uint(&p->out, st.st_uid);
	jsonw_key(&p->out, "gid");
	jsonw_uint(&p->out, st.st_gid);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		jsonw_key(&p->out, "major");
		jsonw_uint(&p->out, major(st.st_rdev));
		jsonw_key(&p->out, "minor");
		jsonw_uint(&p->out, minor(st.st_rdev));
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t len = readlink(path, target, sizeof(target));
		jsonw_key(&p->out, "target");
		if (len < 0 || (size_t)len >= sizeof(target))
			jsonw_null(&p->out);
		else
			jsonw_string_n(&p->out, target, (size_t)len);
	}
	jsonw_object_close(&p->out);
}

/* O_NONBLOCK: a FIFO without a reader must not hang the probe (it gives ENXIO instead). */
static void write_open_result(struct probe *p, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		jsonw_string(&p->out, probe_errno_name(errno));
		return;
	}
	close(fd);
	jsonw_string(&p->out, "ok");
}

static void request_open(struct probe *p, const char *path)
{
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "read");
	write_open_result(p, path, O_RDONLY);
	jsonw_key(&p->out, "write");
	write_open_result(p, path, O_WRONLY);
	jsonw_object_close(&p->out);
}

static void request_create(struct probe *p, const char *dir)
{
	char *path;

	if (asprintf(&path, "%s/.berth-probe-%ld", dir, (long)getpid()) < 0) {
		jsonw_string(&p->out, probe_errno_name(ENOMEM));
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		jsonw_string(&p->out, probe_errno_name(errno));
	} else {
		close(fd);
		unlink(path);
		jsonw_string(&p->out, "ok");
	}
	free(path);
}

static void write_file_contents(struct probe *p, const char *path, const char *key, bool trim_newline)
{
	char *data;
	size_t len;
	int r = probe_read_file(path, READ_MAX, &data, &len);

	if (r < 0) {
		write_error_object(p, -r);
		return;
	}
	if (trim_newline && len > 0 && data[len - 1] == '\n')
		len--;
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, key);
	jsonw_string_n(&p->out, data, len);
	jsonw_object_close(&p->out);
	free(data);
}

/* As sysctl(8) does: dots separate levels, and a slash stands for a dot inside a name. */
static void request_sysctl(struct probe *p, const char *name)
{
	char *path;

	if (asprintf(&path, "/proc/sys/%s", name) < 0) {
		write_error_object(p, ENOMEM);
		return;
	}
	for (char *c = path + strlen("/proc/sys/"); *c; c++) {
		if (*c == '.')
			*c = '/';
		else if (*c == '/')
			*c = '.';
	}
	write_file_contents(p, path, "value", true);
	free(path);
}

static void run_request(struct probe *p, size_t kind, const char *arg)
{
	switch (kind) {
	case 0:
		request_stat(p, arg);
		break;
	case 1:
		request_open(p, arg);
		break;
	case 2:
		request_create(p, arg);
		break;
	case 3:
		write_file_contents(p, arg, "content", false);
		break;
	case 4:
		request_sysctl(p, arg);
		break;
	}
}

/* The kind of a "kind=argument" word and where its argument starts, or -1. */
static int parse_request(const char *word, const char **arg)
{
	const char *eq = strchr(word, '=');

	if (eq == NULL || eq[1] == '\0')
		return -1;
	for (size_t kind = 0; kind < N_REQUEST_KINDS; kind++) {
		if (strlen(request_kinds[kind]) == (size_t)(eq - word) &&
		    strncmp(word, request_kinds[kind], (size_t)(eq - word)) == 0) {
			*arg = eq + 1;
			return (int)kind;
		}
	}
	return -1;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p;
	const char *arg;

	memset(&p, 0, sizeof(p));
	for (int i = 1; i < argc; i++) {
		if (parse_request(argv[i], &arg) < 0) {
			fprintf(stderr, "probe: argument '%s': expected stat=PATH, open=PATH, create=DIR, "
					"read=PATH or sysctl=NAME\n", argv[i]);
			return 2;
		}
	}

	jsonw_object_open(&p.out);
	probe_self(&p, argc, argv);
	for (size_t kind = 0; kind < N_REQUEST_KINDS; kind++) {
		jsonw_key(&p.out, request_kinds[kind]);
		jsonw_object_open(&p.out);
		for (int i = 1; i < argc; i++) {
			if (parse_request(argv[i], &arg) != (int)kind)
				continue;
			jsonw_key(&p.out, arg);
			run_request(&p, kind, arg);
		}
		jsonw_object_close(&p.out);
	}
	jsonw_key(&p.out, "errors");
	jsonw_array_open(&p.out);
	for (size_t i = 0; i < p.n_errors; i++) {
		jsonw_string(&p.out, p.errors[i]);
		free(p.errors[i]);
	}
	free(p.errors);
	jsonw_array_close(&p.out);
	jsonw_object_close(&p.out);

	int r = -ENOMEM;
	if (!p.out.failed && p.out.depth == 0) {
		r = write_all(STDOUT_FILENO, p.out.buf, p.out.len);
		if (r == 0)
			r = write_all(STDOUT_FILENO, "\n", 1);
	}
	jsonw_free(&p.out);
	if (r < 0) {
		fprintf(stderr, "probe: stdout: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
