/*
 * A verified path into procfs for the calling thread: /proc must be a procfs, the walk from it
 * may not cross a mount (an overmount of attr/exec or oom_score_adj would redirect the write)
 * nor follow a magic link, and the file reached must itself live on procfs.
 * This file must never write through a path it has not verified this way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thread-self.h"
#include "util.h"

static int is_procfs(int fd)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && st.f_type == PROC_SUPER_MAGIC;
}

int thread_self_open(const char *subpath, int flags, struct berth_error **err)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC | O_NOFOLLOW,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int proc = -1;
	char path[256];
	int fd;

	proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (proc < 0)
		return berth_fail_errno(err, errno, "open /proc");
	if (!is_procfs(proc))
		return berth_fail(err, "/proc is not a procfs mount");
	snprintf(path, sizeof(path), "thread-self/%s", subpath);
	fd = openat2_retry(proc, path, &how);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open /proc/%s", path);
	if (!is_procfs(fd)) {
		close(fd);
		return berth_fail(err, "/proc/%s is not on procfs", path);
	}
	return fd;
}

int thread_self_write(const char *subpath, const char *value, struct berth_error **err)
{
	_cleanup_close_ int fd = thread_self_open(subpath, O_WRONLY, err);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, len);
	if (n < 0)
		return berth_fail_errno(err, errno, "write /proc/thread-self/%s", subpath);
	if ((size_t)n != len)
		return berth_fail(err, "write /proc/thread-self/%s: short write", subpath);
	return 0;
}
