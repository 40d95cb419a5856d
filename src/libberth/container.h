/*
 * The container as libberth sees it: the parsed config plus what the CLI asked for, shared by
 * every stage of create/start/exec. Lifecycle operations (container.c) are the only entry
 * points the CLI calls; the stage modules (rootfs, process, cgroup, seccomp, hooks, terminal,
 * netlink, namespaces) receive this struct and never parse the command line themselves.
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "runtime.h"

/* What the command line asked for; filled by src/cmd/, read-only below it. */
struct berth_options {
	const char *root;           /* --root: the state root, default /run/berth */
	const char *bundle;         /* --bundle, default "." */
	const char *pid_file;       /* --pid-file */
	const char *console_socket; /* --console-socket */
	int preserve_fds;           /* --preserve-fds: fds 3..3+N-1 reach the container */
	bool no_pivot;              /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
	bool no_new_keyring;        /* --no-new-keyring */
	bool detach;                /* run/exec --detach */
	bool keep;                  /* run --keep: do not delete after exit */
	bool systemd_cgroup;        /* --systemd-cgroup */
};

struct berth_cgroup;
struct berth_seccomp;

struct berth_container {
	char *id;
	char *bundle;    /* absolute path */
	char *rootfs;    /* absolute path of root.path */
	char *state_dir; /* <root>/<id> */
	struct oci_config *config;
	const struct berth_options *opts;

	/* Filled while creating. */
	pid_t pid;                     /* the init, in the caller's pid namespace */
	struct berth_cgroup *cgroup;   /* cgroup.h */
	struct berth_seccomp *seccomp; /* seccomp.h: compiled before the clone */
	int console_socket_fd;         /* connected --console-socket, or -1 */
};

#endif
