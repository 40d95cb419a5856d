/*
 * exec: a new process in a running container, and the wait loop run and exec share.
 * The process is cloned into the container's pid namespace (setns on the init's pidfd for
 * CLONE_NEWPID, then clone3) and its cgroup, joins the other namespaces in the child, and
 * goes through the same process_prepare/process_exec as the init.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cgroup.h"
#include "lifecycle.h"
#include "process.h"
#include "seccomp.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* Copy what is readable from `from` to `to`; returns false at EOF or error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	ssize_t off = 0;

	if (n <= 0)
		return false;
	while (off < n) {
		ssize_t w = write(to, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		off += w;
	}
	return true;
}

static void copy_window_size(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

int wait_forwarding_signals(pid_t pid, int pidfd, int pty_master, struct berth_error **err)
{
	static const int forwarded[] = { SIGHUP, SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
					 SIGUSR2, SIGWINCH, SIGCONT, SIGALRM };
	struct termios saved, raw;
	bool tty = pty_master >= 0 && isatty(STDIN_FILENO);
	bool stdin_open = pty_master >= 0;
	sigset_t set, old;
	int sfd, status = 0;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return berth_fail_errno(err, errno, "signalfd");
	}
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_window_size(STDIN_FILENO, pty_master);
	} else {
		tty = false;
	}

	for (;;) {
		struct pollfd pfd[4] = { { pidfd, POLLIN, 0 }, { sfd, POLLIN, 0 },
					 { pty_master, POLLIN, 0 },
					 { stdin_open ? STDIN_FILENO : -1, POLLIN, 0 } };
		if (poll(pfd, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if ((int)si.ssi_signo == SIGWINCH && pty_master >= 0)
					copy_window_size(STDIN_FILENO, pty_master);
				else
					syscall(SYS_pidfd_send_signal, pidfd, si.ssi_signo, NULL, 0);
			}
		}
		if (pfd[2].revents & (POLLIN | POLLHUP)) {
			if (!pump(pty_master, STDOUT_FILENO)) {
				/* The slave side closed: everything the container wrote is out. */
				pty_master = -1;
				stdin_open = false;
			}
		}
		if (pfd[3].revents & (POLLIN | POLLHUP)) {
			if (!pump(STDIN_FILENO, pty_master))
				stdin_open = false;
		}
		if (pfd[0].revents & POLLIN) {
			/* Drain what is left on the pty before reporting the exit. */
			while (pty_master >= 0) {
				struct pollfd p = { pty_master, POLLIN, 0 };
				if (poll(&p, 1, 50) <= 0 || !pump(pty_master, STDOUT_FILENO))
					break;
			}
			break;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return exit_code(status);
}

/* Namespaces of the init that differ from ours, as CLONE_NEW* flags for setns(pidfd). */
static unsigned long namespaces_to_join(pid_t pid)
{
	static const struct {
		const char *name;
		unsigned long flag;
	} ns[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },	  { "uts", CLONE_NEWUTS },
		{ "ipc", CLONE_NEWIPC },   { "net", CLONE_NEWNET },	  { "cgroup", CLONE_NEWCGROUP },
		{ "time", CLONE_NEWTIME }, { "pid", CLONE_NEWPID },
	};
	unsigned long flags = 0;
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns[i].name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns[i].name);
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 &&
		    (a.st_ino != b.st_ino || a.st_dev != b.st_dev))
			flags |= ns[i].flag;
	}
	return flags;
}

struct exec_target {
	struct berth_container c;
	struct berth_state *st;
	int init_pidfd;
	unsigned long ns;
};

static void __attribute__((noreturn)) exec_child(struct exec_target *t, struct oci_process *p,
						 int sock)
{
	struct berth_error *err = NULL;
	int master;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	/* execCPUAffinity: initial until the process is in the container, final from then on. */
	if (process_exec_affinity(p, false, &err) < 0)
		sync_die(sock, err);
	/* On v1 the parent writes us into the cgroup after the clone: nothing may run (or fork
	 * outside the limits) before it says go. */
	{
		enum sync_type type;
		int errnum, fd;
		char *text = NULL;

		if (sync_recv(sock, &type, &errnum, &text, &fd) != 1 || type != SYNC_GO)
			_exit(1);
		free(text);
	}
	/* A notify agent's socket is on the host: connect before joining the mount namespace. */
	if (seccomp_connect_listener(&t->c, &err) < 0)
		sync_die(sock, err);
	/* Everything but pid (already ours through clone3) in one atomic setns. */
	if (t->ns & ~CLONE_NEWPID) {
		if (setns(t->init_pidfd, t->ns & ~CLONE_NEWPID) < 0) {
			berth_fail_errno(&err, errno, "join the container's namespaces");
			sync_die(sock, err);
		}
	}
	close(t->init_pidfd);
	if (setsid() < 0) {
		berth_fail_errno(&err, errno, "setsid");
		sync_die(sock, err);
	}
	if (process_prepare(&t->c, p, &err) < 0)
		sync_die(sock, err);
	if (p->terminal) {
		if (terminal_setup(&t->c, p, &master, &err) < 0)
			sync_die(sock, err);
		if (t->c.console_socket_fd >= 0) {
			if (terminal_send_master(t->c.console_socket_fd, master, &err) < 0)
				sync_die(sock, err);
			close(t->c.console_socket_fd);
		} else if (sync_send(sock, SYNC_PTY, 0, NULL, master) < 0) {
			_exit(1);
		}
		close(master);
	}
	if (process_exec_affinity(p, true, &err) < 0)
		sync_die(sock, err);
	prctl(PR_SET_PDEATHSIG, 0);
	process_exec(&t->c, p, &err);
	sync_die(sock, err);
}

static int load_target(const char *id, const struct berth_options *o, struct exec_target *t,
		       struct berth_error **err)
{
	_cleanup_close_ int dirfd = -1;
	char path[64], *msg = NULL;
	void *cfg;

	dirfd = state_dir_open(o->root ? o->root : BERTH_DEFAULT_ROOT, id, &t->c.state_dir, err);
	if (dirfd < 0)
		return -1;
	if (state_read(dirfd, &t->st, err) < 0)
		return -1;
	if (!process_alive(t->st->pid, t->st->pid_start_time))
		return berth_fail(err, "cannot exec in a stopped container");
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_CONFIG_FILE, dirfd);
	if (oci_parse_file(&oci_config_type, path, &cfg, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	t->c.config = cfg;
	t->c.id = strdup(id);
	t->c.bundle = strdup(t->st->bundle);
	t->c.rootfs = t->st->rootfs ? strdup(t->st->rootfs) : NULL;
	t->c.pid = t->st->pid; /* the state an exec's seccomp agent receives names the init */
	t->init_pidfd = syscall(SYS_pidfd_open, (pid_t)t->st->pid, 0);
	if (t->init_pidfd < 0)
		return berth_fail_errno(err, errno, "container not running");
	t->ns = namespaces_to_join(t->st->pid);
	if (t->st->cgroup_path && cgroup_open(t->st->cgroup_path, &t->c.cgroup, err) < 0)
		return -1;
	return 0;
}

static void free_target(struct exec_target *t)
{
	free(t->c.id);
	free(t->c.bundle);
	free(t->c.rootfs);
	free(t->c.state_dir);
	oci_free(&oci_config_type, t->c.config);
	if (t->c.cgroup)
		cgroup_free(t->c.cgroup);
	if (t->c.seccomp)
		seccomp_free(t->c.seccomp);
	if (t->c.console_socket_fd >= 0)
		close(t->c.console_socket_fd);
	if (t->init_pidfd >= 0)
		close(t->init_pidfd);
	state_free(t->st);
}

int container_exec(const char *id, const struct berth_options *o, struct oci_process *p,
		   struct berth_error **err)
{
	struct exec_target t = { .c = { .opts = o, .console_socket_fd = -1 }, .init_pidfd = -1 };
	struct clone_args args = { .exit_signal = SIGCHLD };
	struct oci_process *saved_process;
	int socks[2] = { -1, -1 }, pidfd = -1, pty = -1, own_pidns = -1, cgfd, r = -1;
	pid_t pid;

	if (load_target(id, o, &t, err) < 0)
		goto out;
	/* The process's own seccomp profile is the container's (as runc). */
	saved_process = t.c.config->process;
	t.c.config->process = p;
	r = seccomp_compile(&t.c, err);
	t.c.config->process = saved_process;
	if (r < 0)
		goto out;
	r = -1;
	if (p->terminal && o->console_socket) {
		struct sockaddr_un addr = { .sun_family = AF_UNIX };
		t.c.console_socket_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", o->console_socket);
		if (t.c.console_socket_fd < 0 ||
		    connect(t.c.console_socket_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
			berth_fail_errno(err, errno, "--console-socket: connect to '%s'",
					 o->console_socket);
			goto out;
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks) < 0) {
		berth_fail_errno(err, errno, "socketpair");
		goto out;
	}
	if (t.ns & CLONE_NEWPID) {
		/* Only our children should land in the container's pid namespace: keep a way
		 * back, so later clones of ours (sanitizer threads included) stay here. */
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || setns(t.init_pidfd, CLONE_NEWPID) < 0) {
			berth_fail_errno(err, errno, "join the container's pid namespace");
			goto out;
		}
	}
	args.flags = CLONE_PIDFD;
	args.pidfd = (uintptr_t)&pidfd;
	cgfd = t.c.cgroup ? cgroup_clone_fd(t.c.cgroup) : -1;
	if (cgfd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = cgfd;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid != 0 && own_pidns >= 0)
		setns(own_pidns, CLONE_NEWPID);
	if (pid < 0) {
		berth_fail_errno(err, errno, "clone3");
		goto out;
	}
	if (pid == 0) {
		close(socks[0]);
		exec_child(&t, p, socks[1]);
	}
	close(socks[1]);
	socks[1] = -1;
	if ((t.c.cgroup && cgfd < 0 && cgroup_enter(t.c.cgroup, pid, err) < 0) ||
	    (sync_send(socks[0], SYNC_GO, 0, NULL, -1) < 0 &&
	     berth_fail_errno(err, errno, "tell the exec'd process to go on"))) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		waitpid(pid, NULL, 0);
		goto out;
	}
	/* Until EOF (exec happened) we may get the pty or an error. */
	for (;;) {
		enum sync_type type;
		int errnum, fd;
		char *text;
		int n = sync_recv(socks[0], &type, &errnum, &text, &fd);
		if (n <= 0)
			break;
		if (type == SYNC_PTY) {
			pty = fd;
			continue;
		}
		if (type == SYNC_ERROR) {
			berth_fail_take(err, errnum, text ? text : strdup("exec failed"));
			waitpid(pid, NULL, 0);
			goto out;
		}
		free(text);
	}
	if (o->pid_file) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
		if (write_file_atomic(AT_FDCWD, o->pid_file, buf, n, err) < 0)
			goto out;
	}
	if (o->detach) {
		r = 0;
		goto out;
	}
	r = wait_forwarding_signals(pid, pidfd, pty, err);
out:
	if (own_pidns >= 0)
		close(own_pidns);
	if (socks[0] >= 0)
		close(socks[0]);
	if (socks[1] >= 0)
		close(socks[1]);
	if (pidfd >= 0)
		close(pidfd);
	if (pty >= 0)
		close(pty);
	free_target(&t);
	return r;
}

int container_process_template(const char *id, const struct berth_options *o,
			       struct oci_process **out, struct berth_error **err)
{
	_cleanup_close_ int dirfd = -1;
	struct oci_config *cfg;
	char path[64], *json = NULL, *msg = NULL;
	int r;

	dirfd = state_dir_open(o->root ? o->root : BERTH_DEFAULT_ROOT, id, NULL, err);
	if (dirfd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_CONFIG_FILE, dirfd);
	if (oci_parse_file(&oci_config_type, path, (void **)&cfg, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	/* A deep copy through JSON: the template outlives the config. */
	r = oci_generate(&oci_process_type, cfg->process, false, &json, NULL, &msg);
	oci_free(&oci_config_type, cfg);
	if (r < 0)
		return berth_fail_take(err, 0, msg);
	r = oci_parse(&oci_process_type, json, strlen(json), "config.json", (void **)out, &msg);
	free(json);
	return r < 0 ? berth_fail_take(err, 0, msg) : 0;
}
