/*
 * berth-netdev's work (move.h): linux.netDevices moved from the runtime's network namespace
 * into the container's over rtnetlink with libmnl, renamed, their permanent global addresses
 * re-added and brought up. Sockets are never bound (the kernel assigns a port on the first
 * send; replies are matched by sequence number).
 * This file must never touch an interface it is not given, and must leave the process in the
 * network namespace it started in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "move.h"
#include "util.h"

#define PFX "config.json: linux.netDevices"
/* Requests are a header and a few small attributes. Zeroed: libmnl 1.0.4 does not clear the
 * padding after an attribute, and stack bytes have no business reaching the kernel. */
#define REQUEST_SIZE 512
/* An ACK is an nlmsgerr echoing the request (at most REQUEST_SIZE) plus perhaps an
 * extended-ACK message, so it fits in a small buffer; replies carrying a whole link or a dump
 * of addresses need a big one. */
#define ACK_REPLY_SIZE (REQUEST_SIZE + 512)
#define DATA_REPLY_SIZE 32768 /* MNL_SOCKET_DUMP_SIZE of newer libmnl: a dump batch */

static uint32_t next_seq(void)
{
	static uint32_t seq;
	return ++seq;
}

static void close_mnlp(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}
#define _cleanup_mnl_ __attribute__((cleanup(close_mnlp)))

static struct nlmsghdr *new_request(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = next_seq();
	return nlh;
}

/* Send one request and read replies into buf until its ACK, error or end of dump;
 * returns -errno. */
static int talk_with(struct mnl_socket *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data,
		     char *buf, size_t size)
{
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, size);
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, 0, cb, data);
		if (r < 0)
			return errno ? -errno : -EPROTO;
	} while (r != MNL_CB_STOP);
	return 0;
}

/* A request the kernel answers with an ACK alone. */
static int talk_ack(struct mnl_socket *nl, struct nlmsghdr *req)
{
	char buf[ACK_REPLY_SIZE];

	return talk_with(nl, req, NULL, NULL, buf, sizeof(buf));
}

/* A request answered with data (a whole link, or a dump of addresses). */
static int talk(struct mnl_socket *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char buf[DATA_REPLY_SIZE];

	return talk_with(nl, req, cb, data, buf, sizeof(buf));
}

/* RTM_NEWLINK on an existing device, found by `ifindex` or, when it is 0, by `name`:
 * set IFF_UP when `up`, move it to `netns_fd` when >= 0, rename it to `name` otherwise. */
static int set_link(struct mnl_socket *nl, int ifindex, const char *name, int netns_fd,
		    unsigned int up)
{
	char buf[REQUEST_SIZE] = { 0 };
	struct nlmsghdr *nlh = new_request(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up;
	ifi->ifi_change = up;
	/* Move and rename in one request: the kernel renames while moving, so a name taken in
	 * the target namespace is an error instead of a half-done move. */
	if (netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return talk_ack(nl, nlh);
}

static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	*(int *)data = ifi->ifi_index;
	/* Keep reading: the ACK that follows must not be left for the next request. */
	return MNL_CB_OK;
}

static int link_index(struct mnl_socket *nl, const char *name, int *ifindex)
{
	char buf[REQUEST_SIZE] = { 0 };
	struct nlmsghdr *nlh = new_request(buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*ifindex = 0;
	return talk(nl, nlh, link_index_cb, ifindex);
}

/* A permanent global address, kept to be re-added after the move. */
struct addr {
	struct ifaddrmsg ifa;
	uint32_t flags;
	unsigned char address[16], local[16], broadcast[16];
	uint16_t address_len, local_len, broadcast_len;
	char label[IFNAMSIZ];
};

struct addr_list {
	int ifindex;
	struct addr *items;
	size_t len;
	int error;
};

static void copy_attr(const struct nlattr *a, unsigned char *dst, uint16_t *len)
{
	uint16_t n = mnl_attr_get_payload_len(a);

	if (n > 16)
		return;
	memcpy(dst, mnl_attr_get_payload(a), n);
	*len = n;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *list = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct addr x = { .ifa = *ifa, .flags = ifa->ifa_flags };
	struct addr *grown;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != list->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(a)) {
		case IFA_ADDRESS:
			copy_attr(a, x.address, &x.address_len);
			break;
		case IFA_LOCAL:
			copy_attr(a, x.local, &x.local_len);
			break;
		case IFA_BROADCAST:
			copy_attr(a, x.broadcast, &x.broadcast_len);
			break;
		case IFA_FLAGS:
			if (mnl_attr_get_payload_len(a) == sizeof(uint32_t))
				x.flags = mnl_attr_get_u32(a);
			break;
		case IFA_LABEL:
			snprintf(x.label, sizeof(x.label), "%s", mnl_attr_get_str(a));
			break;
		}
	}
	/* What the runtime-spec asks to keep: permanent addresses of global scope. Link-local
	 * IPv6 addresses are made again by the kernel when the device comes up. */
	if (!(x.flags & IFA_F_PERMANENT) || ifa->ifa_scope != RT_SCOPE_UNIVERSE ||
	    x.address_len == 0)
		return MNL_CB_OK;
	grown = realloc(list->items, (list->len + 1) * sizeof(*grown));
	if (grown == NULL) {
		list->error = ENOMEM;
		return MNL_CB_ERROR;
	}
	list->items = grown;
	grown[list->len++] = x;
	return MNL_CB_OK;
}

static int read_addresses(struct mnl_socket *nl, int ifindex, struct addr_list *list)
{
	char buf[REQUEST_SIZE] = { 0 };
	struct nlmsghdr *nlh = new_request(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	int r;

	ifa->ifa_family = AF_UNSPEC;
	ifa->ifa_index = (uint32_t)ifindex;
	list->ifindex = ifindex;
	r = talk(nl, nlh, addr_cb, list);
	if (r < 0 && list->error)
		return -list->error;
	return r;
}

static int add_address(struct mnl_socket *nl, int ifindex, const struct addr *x,
		       const char *label)
{
	char buf[REQUEST_SIZE] = { 0 };
	struct nlmsghdr *nlh =
		new_request(buf, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	*ifa = x->ifa;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_ADDRESS, x->address_len, x->address);
	if (x->local_len)
		mnl_attr_put(nlh, IFA_LOCAL, x->local_len, x->local);
	if (x->broadcast_len)
		mnl_attr_put(nlh, IFA_BROADCAST, x->broadcast_len, x->broadcast);
	mnl_attr_put_u32(nlh, IFA_FLAGS, x->flags);
	if (label)
		mnl_attr_put_strz(nlh, IFA_LABEL, label);
	return talk_ack(nl, nlh);
}

/* IPv4 labels start with the device name ("eth0", "eth0:1"); follow a rename. */
static const char *moved_label(const struct addr *x, const char *old, const char *new,
			       char *buf, size_t size)
{
	size_t n = strlen(old);

	if (x->ifa.ifa_family != AF_INET || x->label[0] == '\0' || strncmp(x->label, old, n))
		return NULL;
	if ((size_t)snprintf(buf, size, "%s%s", new, x->label + n) >= size)
		return NULL; /* too long: let the kernel name it after the device */
	return buf;
}

/* A netlink socket living in the namespace `nsfd`: sockets keep the namespace they were
 * created in, so the process only visits it for the socket() call. */
static int open_socket_in(int nsfd, struct mnl_socket **out, struct berth_error **err)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int saved;

	if (self < 0)
		return berth_fail_errno(err, errno, "open '/proc/self/ns/net'");
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return berth_fail_errno(err, errno, "enter the container's network namespace");
	*out = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	saved = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Staying in the container's namespace would make every later step wrong. */
		if (*out)
			mnl_socket_close(*out);
		*out = NULL;
		return berth_fail_errno(err, errno, "return to the runtime's network namespace");
	}
	if (*out == NULL)
		return berth_fail_errno(err, saved, "netlink socket in the container's namespace");
	return 0;
}

static int move_device(struct mnl_socket *host, struct mnl_socket *target, int nsfd,
		       const struct netdev_move *d, struct berth_error **err)
{
	const char *name = d->name;
	struct addr_list addrs = { 0 };
	int ifindex, r;
	size_t i;

	r = link_index(host, d->host_name, &ifindex);
	if (r == -ENODEV || (r == 0 && ifindex <= 0))
		return berth_fail(err, PFX ".%s: no network interface '%s' in the runtime's "
				       "network namespace",
				  d->host_name, d->host_name);
	if (r < 0)
		return berth_fail_errno(err, -r, "look up network interface '%s'", d->host_name);
	/* Moving a device flushes its addresses: read them first. */
	r = read_addresses(host, ifindex, &addrs);
	if (r < 0) {
		free(addrs.items);
		return berth_fail_errno(err, -r, "read the addresses of network interface '%s'",
					d->host_name);
	}
	r = set_link(host, ifindex, strcmp(name, d->host_name) ? name : NULL, nsfd, 0);
	if (r < 0) {
		free(addrs.items);
		return berth_fail_errno(err, -r, "move network interface '%s' into the container "
						 "as '%s'",
					d->host_name, name);
	}
	/* The index may change in the new namespace; look the device up there by name. */
	r = link_index(target, name, &ifindex);
	for (i = 0; r == 0 && i < addrs.len; i++) {
		char label[IFNAMSIZ];
		r = add_address(target, ifindex, &addrs.items[i],
				moved_label(&addrs.items[i], d->host_name, name, label,
					    sizeof(label)));
	}
	free(addrs.items);
	if (r < 0)
		return berth_fail_errno(err, -r, "restore the addresses of network interface '%s'",
					name);
	r = set_link(target, ifindex, NULL, -1, IFF_UP);
	if (r < 0)
		return berth_fail_errno(err, -r, "bring up network interface '%s'", name);
	return 0;
}

int netdev_move_all(int nsfd, const struct netdev_move *devs, size_t n, struct berth_error **err)
{
	_cleanup_mnl_ struct mnl_socket *host = NULL;
	_cleanup_mnl_ struct mnl_socket *target = NULL;
	size_t i;

	host = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (host == NULL)
		return berth_fail_errno(err, errno, "netlink socket");
	if (open_socket_in(nsfd, &target, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (move_device(host, target, nsfd, &devs[i], err) < 0)
			return -1;
	return 0;
}
