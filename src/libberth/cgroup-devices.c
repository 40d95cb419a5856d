/*
 * The device cgroup rules a container gets, in order (the last rule matching an access
 * decides, anything unmatched is denied, as runc does):
 *   1. linux.resources.devices as written;
 *   2. the devices every container may use (runc's AllowedDevices): mknod of any device,
 *      null, zero, full, random, urandom, tty, ptmx, the ptys of /dev/pts, tun.
 * A device of linux.devices gets no rule of its own: creating it does not allow it, as in runc
 * and crun (clients such as docker --device add the allow rule), and an implicit rwm after
 * the user's rules would override their denies ("applied in the listed order", config-linux.md).
 * Both drivers take this list: v1 writes it to devices.deny/devices.allow, v2 compiles it into
 * a BPF program (cgroup-bpf.c). This file only validates and builds; it touches nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"

static const struct cgroup_dev_rule default_rules[] = {
	{ true, 'c', -1, -1, CGROUP_DEV_MKNOD },
	{ true, 'b', -1, -1, CGROUP_DEV_MKNOD },
	{ true, 'c', 1, 3, 7 },    /* /dev/null */
	{ true, 'c', 1, 8, 7 },    /* /dev/random */
	{ true, 'c', 1, 7, 7 },    /* /dev/full */
	{ true, 'c', 5, 0, 7 },    /* /dev/tty */
	{ true, 'c', 1, 5, 7 },    /* /dev/zero */
	{ true, 'c', 1, 9, 7 },    /* /dev/urandom */
	{ true, 'c', 136, -1, 7 }, /* /dev/pts/N */
	{ true, 'c', 5, 2, 7 },    /* /dev/ptmx */
	{ true, 'c', 10, 200, 7 }, /* /dev/net/tun */
};
#define N_DEFAULT (sizeof(default_rules) / sizeof(default_rules[0]))

static int parse_access(const char *s, unsigned *out)
{
	*out = 0;
	if (s == NULL || *s == '\0') {
		*out = 7; /* absent means every access, as in runc */
		return 0;
	}
	for (; *s; s++) {
		switch (*s) {
		case 'r':
			*out |= CGROUP_DEV_READ;
			break;
		case 'w':
			*out |= CGROUP_DEV_WRITE;
			break;
		case 'm':
			*out |= CGROUP_DEV_MKNOD;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int cgroup_device_rules(const struct oci_config *cfg, struct cgroup_dev_rule **rules,
			size_t *n, struct berth_error **err)
{
	const struct oci_linux *lx = cfg->linux_;
	const struct oci_resources *r = lx ? lx->resources : NULL;
	size_t n_res = r ? r->devices_len : 0;
	struct cgroup_dev_rule *out = calloc(n_res + N_DEFAULT + 1, sizeof(*out));
	size_t k = 0;

	if (out == NULL)
		return berth_fail_errno(err, ENOMEM, "device rules");
	for (size_t i = 0; i < n_res; i++) {
		const struct oci_device_cgroup *d = &r->devices[i];
		struct cgroup_dev_rule *rule = &out[k++];

		rule->allow = d->allow;
		rule->type = d->type && *d->type ? d->type[0] : 'a';
		if ((d->type && strlen(d->type) > 1) || strchr("abc", rule->type) == NULL) {
			free(out);
			return berth_fail(err,
					  "config.json: linux.resources.devices[%zu].type: expected "
					  "\"a\", \"b\" or \"c\", got '%s'",
					  i, d->type);
		}
		rule->major = d->has_major ? d->major : -1;
		rule->minor = d->has_minor ? d->minor : -1;
		if (rule->major < -1 || rule->minor < -1 || rule->major > UINT32_MAX ||
		    rule->minor > UINT32_MAX) {
			free(out);
			return berth_fail(err,
					  "config.json: linux.resources.devices[%zu]: major and minor "
					  "must be -1 or between 0 and 4294967295",
					  i);
		}
		if (parse_access(d->access, &rule->access) < 0) {
			free(out);
			return berth_fail(err,
					  "config.json: linux.resources.devices[%zu].access: expected "
					  "letters of \"rwm\", got '%s'",
					  i, d->access);
		}
	}
	memcpy(&out[k], default_rules, sizeof(default_rules));
	k += N_DEFAULT;
	*rules = out;
	*n = k;
	return 0;
}
