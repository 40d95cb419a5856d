/*
 * Applying image layers to a rootfs with libarchive (gzip, zstd or plain tar): whiteouts and
 * opaque directories, hardlinks, symlinks, devices and FIFOs, owners, modes, mtimes, xattrs.
 * Layers are hostile: every entry is resolved inside the rootfs with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) and created with *at() calls that never
 * follow a final symlink, so nothing can be written outside the rootfs; entries that try
 * ("..", a hardlink leaving the rootfs, a whiteout of "..") are refused with a warning.
 */
#ifndef PULL_UNPACK_H
#define PULL_UNPACK_H

#include "error.h"

struct unpack_stats {
	unsigned long entries;
	unsigned long refused;
};

/* Apply the layer read from `blobfd` on top of the tree at `rootfd`. `what` names it in messages. */
int unpack_layer(int rootfd, int blobfd, const char *what, struct unpack_stats *stats,
		 struct berth_error **err);
/* Remove `name` under `dirfd` and everything below it, never following a symlink. */
int unpack_remove_tree(int dirfd, const char *name);
/* Open `path` inside the tree at `rootfd` as the container would see it. */
int unpack_open_in_root(int rootfd, const char *path, int flags);

#endif
