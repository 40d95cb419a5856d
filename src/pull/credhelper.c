/*
 * Running one credential helper and reading its answer. The helper's standard input is a
 * socket rather than a pipe so that a helper exiting without reading it cannot kill us with
 * SIGPIPE (send(MSG_NOSIGNAL) instead); its standard error stays ours, as docker leaves it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "credhelper.h"
#include "ocispec.h"
#include "reference.h"
#include "util.h"

#define MAX_ANSWER (64 * 1024)

struct helper_answer {
	char *server_url;
	char *username;
	char *secret;
};

static const struct oci_field answer_fields[] = {
	OCI_FIELD(struct helper_answer, server_url, "ServerURL", OCI_STRING, 0),
	OCI_FIELD(struct helper_answer, username, "Username", OCI_STRING, 0),
	OCI_FIELD(struct helper_answer, secret, "Secret", OCI_STRING, OCI_REQUIRED),
	OCI_END,
};
static const struct oci_type answer_type = { "credential helper answer",
					     sizeof(struct helper_answer), answer_fields };

char *credhelper_server_url(const char *registry)
{
	return strdup(strcmp(registry, DOCKER_HUB) == 0 ? "https://index.docker.io/v1/" : registry);
}

/* Run `prog get` with `input` on its standard input; *out is what it printed. */
static int run_helper(const char *prog, const char *input, char **out, size_t *len, int *status,
		      struct berth_error **err)
{
	int in[2], outp[2] = { -1, -1 }, exec_err[2] = { -1, -1 };
	_cleanup_free_ char *buf = malloc(MAX_ANSWER + 1);
	size_t got = 0;
	ssize_t n;
	int e = 0;
	pid_t pid;

	if (buf == NULL)
		return berth_fail(err, "out of memory");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
		return berth_fail_errno(err, errno, "credential helper '%s': socketpair", prog);
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(exec_err, O_CLOEXEC) < 0) {
		e = errno;
		close(in[0]);
		close(in[1]);
		if (outp[0] >= 0) {
			close(outp[0]);
			close(outp[1]);
		}
		return berth_fail_errno(err, e, "credential helper '%s': pipe", prog);
	}
	pid = fork();
	if (pid == 0) {
		/* The child: stdin and stdout are the helper's; an exec failure reports its errno
		 * through exec_err (closed on a successful exec by O_CLOEXEC). */
		if (dup2(in[1], 0) < 0 || dup2(outp[1], 1) < 0)
			_exit(127);
		execlp(prog, prog, "get", (char *)NULL);
		e = errno;
		if (write(exec_err[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	e = errno;
	close(in[1]);
	close(outp[1]);
	close(exec_err[1]);
	if (pid < 0) {
		close(in[0]);
		close(outp[0]);
		close(exec_err[0]);
		return berth_fail_errno(err, e, "credential helper '%s': fork", prog);
	}
	if (read(exec_err[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(exec_err[0]);
	if (e == 0) {
		/* A helper that exits without reading its input is its own business. */
		if (send(in[0], input, strlen(input), MSG_NOSIGNAL) < 0 && errno != EPIPE)
			e = errno;
	}
	close(in[0]);
	while (e == 0 && got < MAX_ANSWER &&
	       ((n = read(outp[0], buf + got, MAX_ANSWER - got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += n;
	close(outp[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return berth_fail_errno(err, errno, "credential helper '%s': wait", prog);
	}
	if (e == ENOENT)
		return berth_fail(err, "credential helper '%s' is not on PATH", prog);
	if (e)
		return berth_fail_errno(err, e, "credential helper '%s'", prog);
	buf[got] = '\0';
	*len = got;
	*out = steal_pointer(&buf);
	return 0;
}

int credhelper_get(const char *helper, const char *registry, char **user, char **pass,
		   struct berth_error **err)
{
	_cleanup_free_ char *prog = NULL, *url = NULL, *out = NULL, *msg = NULL;
	struct helper_answer *a;
	size_t len = 0;
	int status;
	void *obj;

	*user = *pass = NULL;
	if (*helper == '\0' || strchr(helper, '/'))
		return berth_fail(err, "auth file: credential helper name '%s' is not a plain name",
				  helper);
	if (asprintf(&prog, "docker-credential-%s", helper) < 0 ||
	    (url = credhelper_server_url(registry)) == NULL) {
		prog = NULL;
		return berth_fail(err, "out of memory");
	}
	if (run_helper(prog, url, &out, &len, &status, err) < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* The helpers say so in words on stdout, with exit status 1. */
		if (strstr(out, "credentials not found"))
			return 0;
		out[strcspn(out, "\n")] = '\0';
		if (WIFSIGNALED(status))
			return berth_fail(err, "credential helper '%s' for %s: killed by signal %d",
					  prog, registry, WTERMSIG(status));
		return berth_fail(err, "credential helper '%s' for %s: exit status %d%s%s", prog,
				  registry, WEXITSTATUS(status), out[0] ? ": " : "", out);
	}
	if (oci_parse(&answer_type, out, len, prog, &obj, &msg) < 0)
		return berth_fail_take(err, 0, steal_pointer(&msg));
	a = obj;
	explicit_bzero(out, len);
	if (a->username && strcmp(a->username, "<token>") == 0) {
		/* An identity token is for an OAuth2 refresh-token grant, not a password. */
		oci_free(&answer_type, a);
		return berth_fail(err, "credential helper '%s' for %s: answered an identity token, which berth-pull does not support",
				  prog, registry);
	}
	*user = strdup(a->username ? a->username : "");
	*pass = strdup(a->secret);
	explicit_bzero(a->secret, strlen(a->secret));
	oci_free(&answer_type, a);
	if (*user == NULL || *pass == NULL) {
		free(*user);
		free(*pass);
		*user = *pass = NULL;
		return berth_fail(err, "out of memory");
	}
	return 1;
}
