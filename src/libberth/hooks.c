/*
 * OCI hooks (config.md "POSIX-platform Hooks"): each hook is executed with the container's
 * state JSON on stdin, its own args (args[0] is argv[0]) and env, and killed when its
 * timeout passes. Hooks run one after the other in the order given; the first failure stops
 * the list and is returned naming the hook ("hooks.prestart[1] '/usr/bin/x': exited with
 * status 2"); whether that aborts the operation or is only a warning is the caller's call.
 * Like runc, a hook's stdout and stderr are collected and only shown when it fails, and a
 * hook without env inherits berth's environment.
 * This file must never leave a hook running or unreaped when it returns, and must never
 * leak berth's fds (sync sockets, state dir) into a hook.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "util.h"

extern char **environ;

/* Enough of a failing hook's output to explain the failure; the rest is dropped. */
#define OUTPUT_KEEP 2048

struct output {
	char buf[OUTPUT_KEEP];
	size_t len;
	bool truncated;
};

static int hook_check(const struct oci_hook *h, const char *kind, size_t i,
		      struct berth_error **err)
{
	if (h->path == NULL || h->path[0] != '/')
		return berth_fail(err, "hooks.%s[%zu]: path '%s' must be absolute", kind, i,
				  h->path ? h->path : "");
	if (h->has_timeout && h->timeout <= 0)
		return berth_fail(err, "hooks.%s[%zu]: timeout must be greater than zero, got %lld",
				  kind, i, (long long)h->timeout);
	return 0;
}

/* stdin holding the whole state: written before the fork so no hook can block berth by not
 * reading it, and no SIGPIPE can reach berth when a hook ignores it. */
static int state_pipe(const char *json, struct berth_error **err)
{
	size_t len = strlen(json), off = 0;
	int fds[2], e;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return berth_fail_errno(err, errno, "pipe");
	/* Pipes may be as small as a page; a failure here shows up as EAGAIN below. */
	if (len > 4096)
		fcntl(fds[1], F_SETPIPE_SZ, (int)len + 1);
	while (off < len) {
		ssize_t n = write(fds[1], json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		off += (size_t)n;
	}
	close(fds[1]);
	/* The hook's stdin is an ordinary blocking pipe. */
	if (fcntl(fds[0], F_SETFL, 0) < 0)
		goto fail_read;
	return fds[0];
fail:
	e = errno;
	close(fds[1]);
	close(fds[0]);
	return berth_fail_errno(err, e, "hook stdin: write the state (%zu bytes)", len);
fail_read:
	e = errno;
	close(fds[0]);
	return berth_fail_errno(err, e, "hook stdin");
}

static void output_read(int fd, struct output *out, bool *open)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n;

		if (take > OUTPUT_KEEP - 1 - out->len) {
			take = OUTPUT_KEEP - 1 - out->len;
			out->truncated = true;
		}
		memcpy(out->buf + out->len, buf, take);
		out->len += take;
		out->buf[out->len] = '\0';
	}
	if (n == 0)
		*open = false;
}

/* dup2 onto a stdio number; an fd already there only loses its close-on-exec flag. */
static int move_fd(int from, int to)
{
	return from == to ? fcntl(to, F_SETFD, 0) : dup2(from, to);
}

static void __attribute__((noreturn)) hook_child(const struct oci_hook *h, int in, int out,
						 int errfd, int report)
{
	char *default_argv[] = { h->path, NULL };
	char **argv = default_argv, **envp = environ;
	sigset_t none;
	int e;

	/* The caller may block signals (run forwards them through a signalfd): a hook starts
	 * with a clean mask and default dispositions for what berth may have ignored. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (move_fd(in, 0) < 0 || move_fd(out, 1) < 0 || move_fd(errfd, 2) < 0)
		goto fail;
	/* Everything else berth holds stays out of the hook. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		goto fail;
	if (h->args_len > 0) {
		argv = calloc(h->args_len + 1, sizeof(char *));
		if (argv == NULL)
			goto fail;
		memcpy(argv, h->args, h->args_len * sizeof(char *));
	}
	if (h->env_len > 0) {
		envp = calloc(h->env_len + 1, sizeof(char *));
		if (envp == NULL)
			goto fail;
		memcpy(envp, h->env, h->env_len * sizeof(char *));
	}
	execve(h->path, argv, envp);
fail:
	e = errno;
	/* The parent reads this from the close-on-exec pipe: an exec that worked closes it. */
	if (write(report, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ", stderr: <text>" for a failure message; empty when the hook printed nothing. */
static void describe_output(char *buf, size_t size, const struct output *out, const char *name)
{
	size_t len = out->len, used = strlen(buf);

	while (len > 0 && (out->buf[len - 1] == '\n' || out->buf[len - 1] == ' '))
		len--;
	if (len > 0 && used < size)
		snprintf(buf + used, size - used, ", %s: %.*s%s", name, (int)len, out->buf,
			 out->truncated ? "..." : "");
}

/* Wait for the hook (pidfd) while collecting its output; kill it when the timeout passes. */
static int wait_hook(int pidfd, int out_fd, int err_fd, const struct oci_hook *h,
		     const char *what, struct berth_error **err)
{
	struct output out = { .len = 0 }, errout = { .len = 0 };
	char status[2 * OUTPUT_KEEP + 128];
	bool out_open = true, err_open = true, exited = false, timed_out = false;
	int64_t deadline = h->has_timeout ? now_ms() + h->timeout * 1000 : -1;
	siginfo_t info = { 0 };

	while (!exited) {
		struct pollfd fds[3] = { { .fd = pidfd, .events = POLLIN },
					 { .fd = out_open ? out_fd : -1, .events = POLLIN },
					 { .fd = err_open ? err_fd : -1, .events = POLLIN } };
		int timeout = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
				timed_out = true;
				break;
			}
			timeout = left > 1000000 ? 1000000 : (int)left;
		}
		r = poll(fds, 3, timeout);
		if (r < 0 && errno != EINTR)
			return berth_fail_errno(err, errno, "%s: poll", what);
		if (fds[1].revents)
			output_read(out_fd, &out, &out_open);
		if (fds[2].revents)
			output_read(err_fd, &errout, &err_open);
		if (fds[0].revents & POLLIN)
			exited = true;
	}
	/* A background child of the hook may hold the pipes open: take what is there now. */
	if (out_open)
		output_read(out_fd, &out, &out_open);
	if (err_open)
		output_read(err_fd, &errout, &err_open);
	while (waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0)
		if (errno != EINTR)
			return berth_fail_errno(err, errno, "%s: wait", what);

	if (timed_out)
		snprintf(status, sizeof(status), "timed out after %lld s and was killed",
			 (long long)h->timeout);
	else if (info.si_code == CLD_EXITED && info.si_status == 0)
		return 0;
	else if (info.si_code == CLD_EXITED)
		snprintf(status, sizeof(status), "exited with status %d", info.si_status);
	else
		snprintf(status, sizeof(status), "killed by signal %d (%s)", info.si_status,
			 strsignal(info.si_status));
	describe_output(status, sizeof(status), &out, "stdout");
	describe_output(status, sizeof(status), &errout, "stderr");
	return berth_fail(err, "%s: %s", what, status);
}

static int run_one(const struct oci_hook *h, const char *kind, size_t i, const char *json,
		   struct berth_error **err)
{
	_cleanup_free_ char *what = NULL;
	_cleanup_close_ int in = -1, out_r = -1, err_r = -1, report_r = -1, pidfd = -1;
	int out[2], errp[2], report[2], e, r;
	ssize_t n;
	pid_t pid;

	if (asprintf(&what, "hooks.%s[%zu] '%s'", kind, i, h->path) < 0)
		return berth_fail(err, "out of memory");
	in = state_pipe(json ? json : "", err);
	if (in < 0)
		return berth_wrap(err, "%s", what);
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) < 0)
		return berth_fail_errno(err, errno, "%s: pipe", what);
	out_r = out[0];
	if (pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0) {
		close(out[1]);
		return berth_fail_errno(err, errno, "%s: pipe", what);
	}
	err_r = errp[0];
	if (pipe2(report, O_CLOEXEC) < 0) {
		close(out[1]);
		close(errp[1]);
		return berth_fail_errno(err, errno, "%s: pipe", what);
	}
	report_r = report[0];

	pid = fork();
	if (pid == 0) {
		/* The write ends the child keeps lose O_NONBLOCK: hooks expect ordinary pipes. */
		fcntl(out[1], F_SETFL, 0);
		fcntl(errp[1], F_SETFL, 0);
		hook_child(h, in, out[1], errp[1], report[1]);
	}
	e = errno;
	close(out[1]);
	close(errp[1]);
	close(report[1]);
	if (pid < 0)
		return berth_fail_errno(err, e, "%s: fork", what);
	/* Our own unreaped child: its pid cannot have been reused. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return berth_fail_errno(err, e, "%s: pidfd_open", what);
	}
	do
		n = read(report_r, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n == sizeof(r)) {
		waitpid(pid, NULL, 0);
		return berth_fail_errno(err, r, "%s: exec", what);
	}
	return wait_hook(pidfd, out_r, err_r, h, what, err);
}

int hooks_run(const struct oci_hook *hooks, size_t n, const char *kind, const char *state_json,
	      struct berth_error **err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hook_check(&hooks[i], kind, i, err) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (run_one(&hooks[i], kind, i, state_json, err) < 0)
			return -1;
	return 0;
}

void hooks_run_warn(const struct oci_hook *hooks, size_t n, const char *kind,
		    const char *state_json)
{
	for (size_t i = 0; i < n; i++) {
		struct berth_error *err = NULL;

		if (hook_check(&hooks[i], kind, i, &err) < 0 ||
		    run_one(&hooks[i], kind, i, state_json, &err) < 0) {
			fprintf(stderr, "berth: warning: %s\n", err->msg);
			berth_error_free(err);
		}
	}
}

int hooks_check(const struct oci_hooks *hooks, struct berth_error **err)
{
	static const struct {
		const char *kind;
		size_t list, len;
	} kinds[] = {
		{ "prestart", offsetof(struct oci_hooks, prestart),
		  offsetof(struct oci_hooks, prestart_len) },
		{ "createRuntime", offsetof(struct oci_hooks, create_runtime),
		  offsetof(struct oci_hooks, create_runtime_len) },
		{ "createContainer", offsetof(struct oci_hooks, create_container),
		  offsetof(struct oci_hooks, create_container_len) },
		{ "startContainer", offsetof(struct oci_hooks, start_container),
		  offsetof(struct oci_hooks, start_container_len) },
		{ "poststart", offsetof(struct oci_hooks, poststart),
		  offsetof(struct oci_hooks, poststart_len) },
		{ "poststop", offsetof(struct oci_hooks, poststop),
		  offsetof(struct oci_hooks, poststop_len) },
	};
	size_t k, i;

	for (k = 0; hooks && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const struct oci_hook *list =
			*(const struct oci_hook *const *)((const char *)hooks + kinds[k].list);
		size_t len = *(const size_t *)((const char *)hooks + kinds[k].len);

		for (i = 0; i < len; i++)
			if (hook_check(&list[i], kinds[k].kind, i, err) < 0)
				return -1;
	}
	return 0;
}
