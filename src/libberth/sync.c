/*
 * The sync socket protocol (sync.h). Kept tiny: a fixed header, the text, and at most one
 * fd in SCM_RIGHTS.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sync.h"

struct sync_header {
	uint32_t type;
	int32_t errnum;
};

#define SYNC_MAX 8192

int sync_send(int sock, enum sync_type type, int errnum, const char *text, int fd)
{
	struct sync_header h = { .type = type, .errnum = errnum };
	size_t tlen = text ? strnlen(text, SYNC_MAX - sizeof(h)) : 0;
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)text, tlen } };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = tlen ? 2 : 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cm;
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int sync_recv(int sock, enum sync_type *type, int *errnum, char **text, int *fd)
{
	char buf[SYNC_MAX + 1];
	struct sync_header h;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	/* The header lands apart from the text: most messages have none, and then the kernel
	 * writes nothing into the large buffer, whose pages after a fork would otherwise be
	 * copied for 8 bytes. */
	struct iovec iov[2] = { { &h, sizeof(h) }, { buf, SYNC_MAX - sizeof(h) } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	*text = NULL;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if ((size_t)n < sizeof(h)) {
		errno = EPROTO;
		return -1;
	}
	*type = h.type;
	*errnum = h.errnum;
	if ((size_t)n > sizeof(h)) {
		buf[(size_t)n - sizeof(h)] = '\0';
		*text = strdup(buf);
	}
	return 1;
}

void sync_die(int sock, struct berth_error *err)
{
	sync_send(sock, SYNC_ERROR, err ? err->errnum : 0, err ? err->msg : "unknown error", -1);
	_exit(1);
}
