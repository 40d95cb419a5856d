/*
 * process.terminal. The init opens the pty master from the container's own devpts instance
 * (/dev/pts/ptmx inside the new root), takes the slave with TIOCGPTPEER (no lookup of
 * /dev/pts/N by name that a racing container process could swap), binds the slave onto
 * /dev/console through fds (CVE-2025-52565: /dev/console must not be a planted symlink),
 * makes it the controlling terminal and stdio, and hands the master back to be sent over
 * --console-socket (SCM_RIGHTS).
 * This file must never open a pty from the host's devpts for the container.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>
#include <linux/magic.h>

#include "mount.h"
#include "paths.h"
#include "terminal.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

static int check_devpts(int fd, const char *what, struct berth_error **err)
{
	struct statfs sfs;
	struct stat st;

	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return berth_fail_errno(err, errno, "terminal: stat %s", what);
	if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode))
		return berth_fail(err, "terminal: %s is not on a devpts filesystem", what);
	return 0;
}

/* An O_PATH fd on /dev/console, created as an empty file when missing. A symlink or a
 * directory there is refused: the bind must land on /dev/console itself. */
static int open_console_target(int rootfd, int *out, struct berth_error **err)
{
	_cleanup_close_ int devfd = -1;
	struct stat st;

	if (path_mkdirs(rootfd, "/dev", 0755, &devfd, err) < 0)
		return berth_wrap(err, "terminal");
	if (fstatat(devfd, "console", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return berth_fail_errno(err, errno, "terminal: stat /dev/console");
		int fd = openat(devfd, "console",
				O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_fail_errno(err, errno, "terminal: create /dev/console");
		close(fd);
	}
	int fd = openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return berth_fail_errno(err, e, "terminal: open /dev/console");
	}
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		close(fd);
		return berth_fail(err, "terminal: /dev/console is a %s, expected a file",
				  S_ISLNK(st.st_mode) ? "symlink" : "directory");
	}
	*out = fd;
	return 0;
}

int terminal_setup(struct berth_container *c, const struct oci_process *p, int *master_out,
		   struct berth_error **err)
{
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int master = -1, slave = -1, target = -1, tree = -1;
	int unlock = 0;

	(void)c;
	*master_out = -1;
	if (rootfd < 0)
		return berth_fail_errno(err, errno, "terminal: open /");
	master = path_openat_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	if (master < 0)
		return berth_fail_errno(err, errno, "terminal: open /dev/pts/ptmx (process.terminal "
					"needs a devpts mount on /dev/pts)");
	if (check_devpts(master, "/dev/pts/ptmx", err) < 0)
		return -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return berth_fail_errno(err, errno, "terminal: unlock the pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return berth_fail_errno(err, errno, "terminal: open the pty slave");
	if (check_devpts(slave, "the pty slave", err) < 0)
		return -1;
	if (p->console_size) {
		struct winsize ws = { .ws_row = (unsigned short)p->console_size->height,
				      .ws_col = (unsigned short)p->console_size->width };
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return berth_fail_errno(err, errno, "terminal: process.consoleSize");
	}
	if (open_console_target(rootfd, &target, err) < 0)
		return -1;
	tree = open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return berth_fail_errno(err, errno, "terminal: bind the pty on /dev/console");
	if (mount_attach(tree, target, err) < 0)
		return berth_wrap(err, "terminal: bind the pty on /dev/console");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return berth_fail_errno(err, errno, "terminal: make the pty the controlling tty");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return berth_fail_errno(err, errno, "terminal: dup the pty to fd %d", fd);
	*master_out = steal_fd(&master);
	return 0;
}

int terminal_send_master(int sock, int master, struct berth_error **err)
{
	/* runc sends the pty's name along; receivers (containerd, conmon) only need the fd. */
	char name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof(name) - 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	memset(u.buf, 0, sizeof(u.buf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return berth_fail_errno(err, errno, "send the pty master to the console "
						"socket");
	}
}
