/*
 * Small helpers shared by libberth: cleanup attributes and checked I/O wrappers.
 * Nothing here may allocate behind the caller's back or print.
 */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void berth_freep(void *p)
{
	free(*(void **)p);
}
static inline void berth_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void berth_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ __attribute__((cleanup(berth_freep)))
#define _cleanup_close_ __attribute__((cleanup(berth_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(berth_fclosep)))

/* Hand a resource out of a cleanup scope: returns the value and disarms the variable. */
#define steal_pointer(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

/*
 * openat2(2), repeated while it answers EAGAIN: with RESOLVE_IN_ROOT or RESOLVE_BENEATH the
 * kernel gives up on a lookup that a rename or mount anywhere on the system may have raced,
 * and asks for it to be repeated. On a busy host that is ordinary, not an error.
 */
static inline int openat2_retry(int dirfd, const char *path, struct open_how *how)
{
	int fd, tries = 0;

	do
		fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
	while (fd < 0 && errno == EAGAIN && ++tries < 64);
	return fd;
}

#endif
