/*
 * Paths inside the container's rootfs, resolved by the kernel as if the rootfs were "/":
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from a fd on the rootfs. Missing
 * components are created one at a time below a fd, never by joining strings.
 * Every function returns an O_PATH fd (close-on-exec) and names the container path in errors.
 */
#ifndef BERTH_PATHS_H
#define BERTH_PATHS_H

#include <sys/types.h>

#include "error.h"

/* Lexically clean an absolute container path: "//a/./b/../c/" -> "/a/c"; ".." stops at "/". */
char *path_clean(const char *path);
/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); -1 with errno set. */
int path_openat_in_root(int rootfd, const char *path, int flags);
/* Open `path` (a directory), creating missing directories with `mode`. */
int path_mkdirs(int rootfd, const char *path, mode_t mode, int *out, struct berth_error **err);
/* Open `path` as a non-directory, creating its parents and an empty regular file when it
 * does not exist (a bind-mount target for a file or device). */
int path_mkfile(int rootfd, const char *path, int *out, struct berth_error **err);
/* Split off the last component: opens (creating) the parent directory into *dirfd and
 * returns a pointer to the last component inside `clean` (which must be path_clean()'d). */
int path_open_parent(int rootfd, const char *clean, int *dirfd, const char **last,
		     struct berth_error **err);

#endif
