/*
 * Spawning the init: one clone3 with every new namespace (and CLONE_INTO_CGROUP on v2), a
 * SOCK_SEQPACKET socketpair for the handshake, and the child's side of the create sequence.
 * The child is a fork of berth: nothing is re-executed, and it stays non-dumpable until it
 * execs the user's process so /proc/<pid>/exe cannot be used against the host binary.
 * The child must never return into the CLI: every path ends in execve or _exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "hooks.h"
#include "namespaces.h"
#include "netlink.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "spawn.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

static pid_t sys_clone3(struct clone_args *args)
{
	return syscall(SYS_clone3, args, sizeof(*args));
}

/* Wait for one message of `want`; an ERROR from the peer becomes *err. */
static int expect(int sock, enum sync_type want, char **text, int *fd, struct berth_error **err)
{
	enum sync_type type;
	int errnum, r, got_fd;
	char *msg;

	r = sync_recv(sock, &type, &errnum, &msg, &got_fd);
	if (r < 0)
		return berth_fail_errno(err, errno, "sync with the container init");
	if (r == 0)
		return berth_fail(err, "the container init exited unexpectedly");
	if (type == SYNC_ERROR) {
		if (got_fd >= 0)
			close(got_fd);
		return berth_fail_take(err, errnum, msg ? msg : strdup("unknown error"));
	}
	if (type != want) {
		free(msg);
		if (got_fd >= 0)
			close(got_fd);
		return berth_fail(err, "sync with the container init: unexpected message %d", type);
	}
	if (text)
		*text = msg;
	else
		free(msg);
	if (fd)
		*fd = got_fd;
	else if (got_fd >= 0)
		close(got_fd);
	return 0;
}

/* The start socket: `berth start` connects to it; the init waits in accept(). The parent
 * binds it, since in a user namespace the init may not enter the state directory; the name
 * goes through /proc/self/fd because the full path may exceed sun_path. */
static int bind_start_socket(int state_dirfd, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/" STATE_START_SOCKET,
		 state_dirfd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_fail_errno(err, errno, "create the start socket");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		close(fd);
		return berth_fail_errno(err, e, "bind the start socket");
	}
	return fd;
}

static int wait_for_start(int listen_fd, struct berth_error **err)
{
	char go;
	int conn;

	do
		conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (conn < 0 && errno == EINTR);
	if (conn < 0)
		return berth_fail_errno(err, errno, "wait for start");
	if (recv(conn, &go, 1, 0) != 1) {
		close(conn);
		return berth_fail(err, "start: no request received");
	}
	close(listen_fd);
	return conn;
}

/* The handshake is only as long as the hooks make it: without prestart/createRuntime hooks
 * the init does not stop between process_prepare and the rootfs, and the state the hooks read
 * on stdin is only built (and copied into the init) for the hooks that exist. */
static bool has_runtime_hooks(const struct oci_config *cfg)
{
	return cfg->hooks && (cfg->hooks->prestart_len || cfg->hooks->create_runtime_len);
}

static bool has_start_hooks(const struct oci_config *cfg)
{
	return cfg->hooks && cfg->hooks->start_container_len;
}

static bool needs_second_go(const struct oci_config *cfg)
{
	return has_runtime_hooks(cfg) || has_start_hooks(cfg);
}

/* listen_fd < 0: run, where nothing waits for `berth start` and the sync socket stays open to
 * carry an execve failure (or, by closing on exec, its success) to the parent. */
static void __attribute__((noreturn)) child_main(struct berth_container *c, int sock,
						 int state_dirfd, int listen_fd, unsigned long flags,
						 unsigned long unshare_first)
{
	struct oci_config *cfg = c->config;
	struct oci_process *p = cfg->process;
	struct berth_error *err = NULL;
	_cleanup_free_ char *state_json = NULL, *created_json = NULL;
	int conn, master = -1;

	/* Die with the parent until the handshake is over; never be dumpable before execve. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	/* The state directory's fd carries create's flock: drop our copy of it. */
	close(state_dirfd);
	/* While the parent places us in our cgroups and writes our id maps. */
	if (unshare_first && unshare((int)unshare_first) < 0) {
		berth_fail_errno(&err, errno, "create the network namespace");
		sync_die(sock, err);
	}

	if (expect(sock, SYNC_GO, &state_json, NULL, &err) < 0)
		_exit(1);
	if ((flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		berth_fail_errno(&err, errno, "become root in the user namespace");
		sync_die(sock, err);
	}
	if (namespaces_join(cfg, &err) < 0)
		sync_die(sock, err);
	if (setsid() < 0) {
		berth_fail_errno(&err, errno, "setsid");
		sync_die(sock, err);
	}
	if ((flags & CLONE_NEWNET) && netlink_loopback_up(&err) < 0)
		sync_die(sock, err);
	if (namespaces_apply_settings(cfg, &err) < 0)
		sync_die(sock, err);
	if (process_prepare(c, p, &err) < 0)
		sync_die(sock, err);

	/* prestart and createRuntime hooks run in the parent while we wait here. */
	if (has_runtime_hooks(cfg) && sync_send(sock, SYNC_READY, 0, "hooks", -1) < 0)
		_exit(1);
	if (needs_second_go(cfg) && expect(sock, SYNC_GO, &created_json, NULL, &err) < 0)
		_exit(1);

	/* A notify agent's socket is on the host: connect before the root changes. */
	if (seccomp_connect_listener(c, &err) < 0)
		sync_die(sock, err);
	if (rootfs_prepare(c, &err) < 0)
		sync_die(sock, err);
	/* Before rootfs_finalize, which may make the root read-only. */
	if (process_create_cwd(p, &err) < 0)
		sync_die(sock, err);
	if (p->terminal) {
		if (terminal_setup(c, p, &master, &err) < 0)
			sync_die(sock, err);
		if (c->console_socket_fd >= 0) {
			if (terminal_send_master(c->console_socket_fd, master, &err) < 0)
				sync_die(sock, err);
		} else if (sync_send(sock, SYNC_PTY, 0, NULL, master) < 0) {
			berth_fail_errno(&err, errno, "send the pty master");
			sync_die(sock, err);
		}
		close(master);
	}
	if (c->console_socket_fd >= 0) {
		close(c->console_socket_fd);
		c->console_socket_fd = -1;
	}
	if (rootfs_finalize(c, &err) < 0)
		sync_die(sock, err);
	if (cfg->hooks &&
	    hooks_run(cfg->hooks->create_container, cfg->hooks->create_container_len,
		      "createContainer", state_json, &err) < 0)
		sync_die(sock, err);
	/* As with runc, a missing or non-executable process.args[0] fails create, not start:
	 * Podman and dockerd turn create's error text into exit 127/126. A name relative to
	 * process.cwd is left to process_exec, which resolves it in that directory. */
	if ((p->args[0][0] == '/' || strchr(p->args[0], '/') == NULL) &&
	    process_check_executable(p, &err) < 0)
		sync_die(sock, err);

	prctl(PR_SET_PDEATHSIG, 0);
	if (sync_send(sock, SYNC_READY, 0, NULL, -1) < 0)
		_exit(1);
	if (listen_fd < 0) {
		conn = sock;
	} else {
		close(sock);
		if ((conn = wait_for_start(listen_fd, &err)) < 0)
			_exit(1);
	}
	if (cfg->hooks &&
	    hooks_run(cfg->hooks->start_container, cfg->hooks->start_container_len,
		      "startContainer", created_json, &err) < 0)
		sync_die(conn, err);
	process_exec(c, p, &err);
	sync_die(conn, err);
}

/* After READY in run mode: EOF when the init's execve closed its end, else its error. */
static int wait_for_exec(int sock, struct berth_error **err)
{
	enum sync_type type;
	int errnum, fd, r;
	char *text;

	r = sync_recv(sock, &type, &errnum, &text, &fd);
	if (fd >= 0)
		close(fd);
	if (r == 0)
		return 0;
	if (r > 0 && type == SYNC_ERROR)
		return berth_fail_take(err, errnum, text ? text : strdup("exec failed"));
	free(text);
	return berth_fail(err, "sync with the container init: unexpected message");
}

int spawn_init(struct berth_container *c, int state_dirfd, const struct spawn_steps *steps,
	       bool start, struct spawned *out, struct berth_error **err)
{
	const struct oci_config *cfg = c->config;
	struct clone_args args = { .exit_signal = SIGCHLD };
	unsigned long ns_flags, unshare_first;
	_cleanup_free_ char *json = NULL, *created = NULL;
	_cleanup_close_ int listen_fd = -1;
	int socks[2], pidfd = -1, cgroup_fd;
	pid_t pid;

	out->pid = 0;
	out->pidfd = -1;
	out->pty_master = -1;
	if (namespaces_clone_flags(c->config, &ns_flags, err) < 0)
		return -1;
	unshare_first = namespaces_unshare_first(c->config, ns_flags);
	if (namespaces_join_before_clone(c->config, err) < 0)
		return -1;
	if (!start && (listen_fd = bind_start_socket(state_dirfd, err)) < 0)
		return -1;
	/* Idmapped mounts must be made here: inside a user namespace the init cannot. */
	if (rootfs_before_clone(c, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		rootfs_after_clone();
		return berth_fail_errno(err, errno, "socketpair");
	}

	args.flags = (ns_flags & ~unshare_first) | CLONE_PIDFD;
	args.pidfd = (uintptr_t)&pidfd;
	cgroup_fd = c->cgroup ? cgroup_clone_fd(c->cgroup) : -1;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = cgroup_fd;
	}
	pid = sys_clone3(&args);
	if (pid < 0) {
		int e = errno;
		rootfs_after_clone();
		close(socks[0]);
		close(socks[1]);
		return berth_fail_errno(err, e, "clone3");
	}
	if (pid == 0) {
		close(socks[0]);
		child_main(c, socks[1], state_dirfd, listen_fd, ns_flags, unshare_first);
	}
	close(socks[1]);
	out->pid = pid;
	out->pidfd = pidfd;

	if (c->cgroup && cgroup_fd < 0 && cgroup_enter(c->cgroup, pid, err) < 0)
		goto fail;
	if (namespaces_write_id_maps(c->config, pid, err) < 0)
		goto fail;
	if (netlink_move_devices(c->config, pid, err) < 0)
		goto fail;
	if (cfg->hooks && cfg->hooks->create_container_len &&
	    (json = steps->state_json(c, pid)) == NULL) {
		berth_fail(err, "out of memory");
		goto fail;
	}
	if (sync_send(socks[0], SYNC_GO, 0, json, -1) < 0) {
		berth_fail_errno(err, errno, "sync with the container init");
		goto fail;
	}
	/* Released only now that the init is busy with its setup: the copy-on-write faults
	 * these frees cost the parent then overlap with it instead of delaying it. */
	rootfs_after_clone();
	if (steps->record(c, state_dirfd, pid, err) < 0)
		goto fail;
	if (has_runtime_hooks(cfg) && (expect(socks[0], SYNC_READY, NULL, NULL, err) < 0 ||
				       steps->runtime_hooks(c, pid, err) < 0))
		goto fail;
	if (has_start_hooks(cfg) && (created = steps->created_json(c, pid)) == NULL) {
		berth_fail(err, "out of memory");
		goto fail;
	}
	if (needs_second_go(cfg) && sync_send(socks[0], SYNC_GO, 0, created, -1) < 0) {
		berth_fail_errno(err, errno, "sync with the container init");
		goto fail;
	}
	for (;;) {
		enum sync_type type;
		int errnum, fd, r;
		char *text;

		r = sync_recv(socks[0], &type, &errnum, &text, &fd);
		if (r <= 0) {
			berth_fail(err, "the container init exited unexpectedly");
			goto fail;
		}
		if (type == SYNC_PTY) {
			out->pty_master = fd;
			continue;
		}
		if (type == SYNC_ERROR) {
			berth_fail_take(err, errnum, text ? text : strdup("unknown error"));
			goto fail;
		}
		free(text);
		if (fd >= 0)
			close(fd);
		break;
	}
	if (start && wait_for_exec(socks[0], err) < 0)
		goto fail;
	close(socks[0]);
	return 0;
fail:
	rootfs_after_clone();
	close(socks[0]);
	/* The init may be anywhere in its setup: kill it and reap it so nothing is left. */
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	waitpid(pid, NULL, 0);
	close(pidfd);
	if (out->pty_master >= 0)
		close(out->pty_master);
	out->pid = 0;
	out->pidfd = out->pty_master = -1;
	return -1;
}
