/*
 * Network devices (netlink.h): loopback up in a new network namespace with the SIOCSIFFLAGS
 * ioctl, and linux.netDevices validated here and moved by the berth-netdev helper, which speaks
 * rtnetlink with libmnl (src/netdev/): libmnl is only a shared library in Debian, and berth
 * itself is one static executable.
 * This file must never touch an interface that config.json does not name, and must leave
 * the calling process in the network namespace it started in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

#define PFX "config.json: linux.netDevices"
#define HELPER "berth-netdev"
#define HELPER_NETNS_FD 3 /* where berth-netdev expects the container's network namespace */

extern char **environ;

/* Loopback up in the init's new network namespace, the way ifconfig does it: SIOCGIFFLAGS and
 * SIOCSIFFLAGS on any socket of the namespace. No netlink conversation is needed for one flag
 * on a device that always exists, and no reply buffer is touched in the init. */
int netlink_loopback_up(struct berth_error **err)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_fail_errno(err, errno, "bring up the loopback interface 'lo': socket");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return berth_fail_errno(err, errno, "bring up the loopback interface 'lo'");
	if (ifr.ifr_flags & IFF_UP)
		return 0;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return berth_fail_errno(err, errno, "bring up the loopback interface 'lo'");
	return 0;
}

/* ---- netDevices ------------------------------------------------------------------------ */

static bool valid_ifname(const char *name)
{
	if (name[0] == '\0' || strlen(name) >= IFNAMSIZ || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	for (; *name; name++)
		if (*name == '/' || *name == ':' || *name == ' ' || (*name >= '\t' && *name <= '\r'))
			return false;
	return true;
}

static const char *final_name(const struct oci_net_device *d)
{
	return d->name && d->name[0] ? d->name : d->host_name;
}

static const struct oci_namespace *network_namespace(const struct oci_config *cfg)
{
	size_t i;

	for (i = 0; cfg->linux_ && i < cfg->linux_->namespaces_len; i++)
		if (strcmp(cfg->linux_->namespaces[i].type, "network") == 0)
			return &cfg->linux_->namespaces[i];
	return NULL;
}

int netlink_check_devices(const struct oci_config *cfg, struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;
	size_t i, j;

	if (lx == NULL || lx->net_devices_len == 0)
		return 0;
	if (network_namespace(cfg) == NULL)
		return berth_fail(err, PFX ": the container needs a network namespace of its own "
				       "(linux.namespaces has no \"network\")");
	for (i = 0; i < lx->net_devices_len; i++) {
		const struct oci_net_device *d = &lx->net_devices[i];

		if (!valid_ifname(d->host_name))
			return berth_fail(err, PFX ": '%s' is not a valid interface name",
					  d->host_name);
		if (d->name && d->name[0] && !valid_ifname(d->name))
			return berth_fail(err, PFX ".%s.name: '%s' is not a valid interface name",
					  d->host_name, d->name);
		for (j = 0; j < i; j++)
			if (strcmp(final_name(&lx->net_devices[j]), final_name(d)) == 0)
				return berth_fail(err, PFX ".%s: the name '%s' is already used by %s",
						  d->host_name, final_name(d),
						  lx->net_devices[j].host_name);
	}
	return 0;
}

static int open_target_netns(const struct oci_config *cfg, pid_t pid, struct berth_error **err)
{
	const struct oci_namespace *ns = network_namespace(cfg);
	char proc[64];
	const char *path = proc;
	int fd;

	/* A namespace given by path is joined by the child after this runs: use the path. */
	if (ns && ns->path)
		path = ns->path;
	else
		snprintf(proc, sizeof(proc), "/proc/%d/ns/net", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open the container's network namespace '%s'",
					path);
	return fd;
}

/* berth-netdev next to the berth executable (a build tree, or both copied into one directory),
 * else in the installed libexec directory. */
static int helper_path(char *buf, size_t size, struct berth_error **err)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - sizeof(HELPER));
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL) {
			strcpy(slash + 1, HELPER);
			if (access(buf, X_OK) == 0)
				return 0;
		}
	}
	if ((size_t)snprintf(buf, size, "%s/" HELPER, BERTH_LIBEXECDIR) < size &&
	    access(buf, X_OK) == 0)
		return 0;
	return berth_fail(err, PFX ": the helper " HELPER " is missing (looked next to berth and "
			       "in " BERTH_LIBEXECDIR ")");
}

/* Run berth-netdev with the container's network namespace on its fd 3; its one-line error
 * on stderr becomes ours. */
static int run_helper(int nsfd, const struct oci_linux *lx, struct berth_error **err)
{
	char path[PATH_MAX], msg[1024];
	posix_spawn_file_actions_t fa;
	_cleanup_close_ int ns_high = -1, rd = -1, wr = -1;
	_cleanup_free_ char **argv = NULL;
	int pipefd[2], status, r;
	size_t i, len = 0;
	ssize_t got;
	pid_t pid;

	if (helper_path(path, sizeof(path), err) < 0)
		return -1;
	argv = calloc(2 * lx->net_devices_len + 2, sizeof(*argv));
	if (argv == NULL)
		return berth_fail(err, "out of memory");
	argv[0] = (char *)HELPER;
	for (i = 0; i < lx->net_devices_len; i++) {
		argv[1 + 2 * i] = lx->net_devices[i].host_name;
		argv[2 + 2 * i] = (char *)final_name(&lx->net_devices[i]);
	}
	/* Above the fds dup2 targets, so that dup2 (which clears close-on-exec) always runs. */
	if ((ns_high = fcntl(nsfd, F_DUPFD_CLOEXEC, 10)) < 0 || pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_fail_errno(err, errno, "start " HELPER);
	rd = pipefd[0];
	wr = pipefd[1];
	if ((r = posix_spawn_file_actions_init(&fa)) != 0)
		return berth_fail_errno(err, r, "start " HELPER);
	if ((r = posix_spawn_file_actions_adddup2(&fa, ns_high, HELPER_NETNS_FD)) == 0 &&
	    (r = posix_spawn_file_actions_adddup2(&fa, wr, STDERR_FILENO)) == 0)
		r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return berth_fail_errno(err, r, "start %s", path);
	close(steal_fd(&wr));
	while (len < sizeof(msg) - 1 && (got = read(rd, msg + len, sizeof(msg) - 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		len += (size_t)got;
	}
	msg[len] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_fail_errno(err, errno, "wait for " HELPER);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (msg[0])
		return berth_fail(err, "%s", msg);
	return berth_fail(err, PFX ": " HELPER " failed (status %#x)", status);
}

int netlink_move_devices(const struct oci_config *cfg, pid_t pid, struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;
	_cleanup_close_ int nsfd = -1;
	struct stat a, b;

	if (lx == NULL || lx->net_devices_len == 0)
		return 0;
	if (netlink_check_devices(cfg, err) < 0)
		return -1;
	nsfd = open_target_netns(cfg, pid, err);
	if (nsfd < 0)
		return -1;
	if (fstat(nsfd, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return berth_fail_errno(err, errno, "inspect the network namespaces");
	if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return berth_fail(err, PFX ": the container shares the runtime's network namespace");
	return run_helper(nsfd, lx, err);
}
