/*
 * Talking to a seccomp agent (seccomp-notify.h). The state is prepared while the init can
 * still read the runtime's /proc (before pivot_root), the send happens after the filter is
 * loaded, with whatever credentials the process has left: nothing here may need privilege
 * or allocate after the load. The JSON is generated from a libocispec table, not by hand.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ocispec.h"
#include "seccomp-notify.h"
#include "util.h"

/* containerProcessState: only seccomp.c sends it, so its table lives here. */
struct process_state {
	char *oci_version;
	char **fds;
	size_t fds_len;
	int64_t pid;
	char *metadata;
	struct oci_state *state;
};

static const struct oci_field process_state_fields[] = {
	OCI_FIELD(struct process_state, oci_version, "ociVersion", OCI_STRING, OCI_REQUIRED),
	OCI_ARR(struct process_state, fds, "fds", OCI_STRING, 0),
	OCI_FIELD(struct process_state, pid, "pid", OCI_INT64, OCI_REQUIRED),
	OCI_FIELD(struct process_state, metadata, "metadata", OCI_STRING, 0),
	OCI_OBJ(struct process_state, state, "state", oci_state_type, OCI_REQUIRED),
	OCI_END,
};
static const struct oci_type process_state_type = { "object", sizeof(struct process_state),
						     process_state_fields };

int listener_connect(const char *path, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_fail(err, "config.json: linux.seccomp.listenerPath: '%s' is too long "
				       "for a unix socket (at most %zu bytes)",
				  path, sizeof(addr.sun_path) - 1);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_fail_errno(err, errno, "seccomp listener socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return berth_fail_errno(err, errno, "connect to seccomp listener '%s'", path);
	return steal_fd(&fd);
}

/* Our pid in the runtime's pid namespace: the first NSpid entry of the runtime's /proc,
 * which the init still sees before pivot_root. */
static int own_runtime_pid(int64_t *pid, struct berth_error **err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return berth_fail_errno(err, errno, "open '/proc/self/status'");
	while (getline(&line, &cap, f) > 0) {
		long long v;
		if (sscanf(line, "NSpid: %lld", &v) == 1) {
			*pid = v;
			return 0;
		}
	}
	return berth_fail(err, "'/proc/self/status': no NSpid line");
}

int listener_state(const struct berth_container *c, char **json, size_t *len,
			 struct berth_error **err)
{
	const struct oci_seccomp *s = c->config->linux_->seccomp;
	char *fds[] = { "seccompFd" };
	struct oci_state state = {
		.oci_version = BERTH_SPEC_VERSION,
		.id = c->id,
		.status = c->pid > 0 ? "running" : "creating",
		.has_pid = true,
		.bundle = c->bundle,
		.rootfs = c->rootfs,
		.annotations = c->config->annotations,
	};
	struct process_state ps = {
		.oci_version = BERTH_SPEC_VERSION,
		.fds = fds,
		.fds_len = 1,
		.metadata = s->listener_metadata,
		.state = &state,
	};
	char *msg = NULL;

	if (own_runtime_pid(&ps.pid, err) < 0)
		return -1;
	state.pid = c->pid > 0 ? c->pid : ps.pid;
	if (oci_generate(&process_state_type, &ps, false, json, len, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	return 0;
}

int listener_send(int sock, const char *json, size_t len, int notify_fd,
			struct berth_error **err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)json, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &notify_fd, sizeof(int));

	/* The fd travels with the first sendmsg only, as the spec requires; MSG_NOSIGNAL so a
	 * vanished agent is an error, not a SIGPIPE. */
	while (len > 0) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_fail_errno(err, errno, "send the seccomp state to the listener");
		iov.iov_base = (char *)iov.iov_base + n;
		iov.iov_len -= (size_t)n;
		len -= (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}
