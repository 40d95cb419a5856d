/*
 * State directories and state.json. Every write is atomic (temp file + rename) so a crash
 * leaves either the old or the new state; concurrent commands on one id are serialised with
 * flock on the directory. This file must not know how a container is started or stopped.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocispec.h"
#include "state.h"
#include "util.h"

static const struct oci_field state_fields[] = {
	OCI_FIELD(struct berth_state, oci_version, "ociVersion", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct berth_state, id, "id", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct berth_state, pid, "pid", OCI_INT64, 0),
	OCI_FIELD(struct berth_state, pid_start_time, "pidStartTime", OCI_UINT64, 0),
	OCI_FIELD(struct berth_state, bundle, "bundle", OCI_STRING, OCI_REQUIRED),
	OCI_FIELD(struct berth_state, rootfs, "rootfs", OCI_STRING, 0),
	OCI_FIELD(struct berth_state, created, "created", OCI_STRING, 0),
	OCI_FIELD(struct berth_state, cgroup_path, "cgroupPath", OCI_STRING, 0),
	OCI_FIELD(struct berth_state, poststart_hooks, "poststartHooks", OCI_BOOL, 0),
	OCI_FIELD(struct berth_state, poststop_hooks, "poststopHooks", OCI_BOOL, 0),
	OCI_FIELD(struct berth_state, annotations, "annotations", OCI_MAP, 0),
	OCI_END,
};
static const struct oci_type state_type = { "object", sizeof(struct berth_state), state_fields };

const char *status_name(enum berth_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused",
					     "stopped" };
	return names[s];
}

int state_check_id(const char *id, struct berth_error **err)
{
	size_t i, len = strlen(id);

	if (len == 0 || len > 1024)
		return berth_fail(err, "invalid container id '%s': must be 1 to 1024 characters",
				  id);
	for (i = 0; i < len; i++) {
		unsigned char ch = id[i];
		if (!isalnum(ch) && !strchr("_+-.", ch))
			return berth_fail(err,
					  "invalid container id '%s': only [A-Za-z0-9_+.-] allowed",
					  id);
	}
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return berth_fail(err, "invalid container id '%s'", id);
	return 0;
}

static int mkdir_parents(const char *path, mode_t mode)
{
	char buf[4096];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int lock_dir(int fd, const char *path, struct berth_error **err)
{
	if (flock(fd, LOCK_EX) < 0)
		return berth_fail_errno(err, errno, "lock '%s'", path);
	return 0;
}

int state_dir_create(const char *root, const char *id, char **path, struct berth_error **err)
{
	_cleanup_free_ char *dir = NULL;
	int fd, r;

	if (state_check_id(id, err) < 0)
		return -1;
	if ((r = mkdir_parents(root, 0700)) < 0)
		return berth_fail_errno(err, -r, "create state root '%s'", root);
	if (asprintf(&dir, "%s/%s", root, id) < 0)
		return berth_fail(err, "out of memory");
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			return berth_fail_code(err, EEXIST, "container with id '%s' already exists", id);
		return berth_fail_errno(err, errno, "create state directory '%s'", dir);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = errno;
		rmdir(dir);
		return berth_fail_errno(err, r, "open state directory '%s'", dir);
	}
	if (lock_dir(fd, dir, err) < 0) {
		close(fd);
		rmdir(dir);
		return -1;
	}
	if (path)
		*path = steal_pointer(&dir);
	return fd;
}

int state_dir_open(const char *root, const char *id, char **path, struct berth_error **err)
{
	_cleanup_free_ char *dir = NULL;
	int fd;

	if (state_check_id(id, err) < 0)
		return -1;
	if (asprintf(&dir, "%s/%s", root, id) < 0)
		return berth_fail(err, "out of memory");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_fail_code(err, ENOENT, "container '%s' does not exist", id);
		return berth_fail_errno(err, errno, "open state directory '%s'", dir);
	}
	if (lock_dir(fd, dir, err) < 0) {
		close(fd);
		return -1;
	}
	if (path)
		*path = steal_pointer(&dir);
	return fd;
}

int state_dir_remove(const char *root, const char *id, struct berth_error **err)
{
	static const char *const files[] = { STATE_FILE, STATE_CONFIG_FILE, STATE_START_SOCKET,
					     NULL };
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	size_t i;

	if (asprintf(&dir, "%s/%s", root, id) < 0)
		return berth_fail(err, "out of memory");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : berth_fail_errno(err, errno, "open '%s'", dir);
	for (i = 0; files[i]; i++)
		if (unlinkat(fd, files[i], 0) < 0 && errno != ENOENT)
			return berth_fail_errno(err, errno, "remove '%s/%s'", dir, files[i]);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return berth_fail_errno(err, errno, "remove state directory '%s'", dir);
	return 0;
}

int write_file_atomic(int dirfd, const char *name, const char *data, size_t len,
		      struct berth_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	if (asprintf(&tmp, "%s.tmp.%d", name, (int)getpid()) < 0)
		return berth_fail(err, "out of memory");
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return berth_fail_errno(err, errno, "write '%s'", name);
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			unlinkat(dirfd, tmp, 0);
			return berth_fail_errno(err, e, "write '%s'", name);
		}
		done += n;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return berth_fail_errno(err, e, "rename '%s' to '%s'", tmp, name);
	}
	return 0;
}

int state_write(int dirfd, const struct berth_state *st, struct berth_error **err)
{
	_cleanup_free_ char *json = NULL;
	char *msg = NULL;
	size_t len;

	if (oci_generate(&state_type, st, false, &json, &len, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	return write_file_atomic(dirfd, STATE_FILE, json, len, err);
}

int state_read(int dirfd, struct berth_state **st, struct berth_error **err)
{
	char path[64], *msg = NULL;
	void *obj;

	/* A container whose create has not finished has no state.json yet. */
	if (faccessat(dirfd, STATE_FILE, F_OK, 0) < 0)
		return berth_fail_errno(err, errno, "read state");
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_FILE, dirfd);
	if (oci_parse_file(&state_type, path, &obj, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	*st = obj;
	/* start removes the socket the init waits on: its absence is the "started" mark, so start
	 * never has to rewrite state.json. */
	(*st)->started = faccessat(dirfd, STATE_START_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			 errno == ENOENT;
	return 0;
}

void state_free(struct berth_state *st)
{
	oci_free(&state_type, st);
}

uint64_t process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	p += 2;
	if (*p == 'Z' || *p == 'X')
		return 0; /* a zombie has exited */
	for (i = 3; i < 22 && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p == NULL || sscanf(p, "%llu", &start) != 1)
		return 0;
	return start;
}

bool process_alive(pid_t pid, uint64_t start_time)
{
	return pid > 0 && start_time != 0 && process_start_time(pid) == start_time;
}
