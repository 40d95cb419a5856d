/*
 * The five capability sets of process.capabilities. Names go through libcap's cap_from_name;
 * everything else is plain prctl/capset so berth decides the order: bounding set first (while
 * CAP_SETPCAP is still effective), the uid switch in between (process.c, with PR_SET_KEEPCAPS),
 * then permitted/effective/inheritable and last the ambient set.
 * It must never add a capability the config did not name, and never silently skip one it
 * did: a capability berth does not hold itself is an error, not a smaller container.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"

/* How the JSON names its sets, for messages and for the table below. */
static const char *const set_names[] = { "bounding", "effective", "inheritable", "permitted",
					 "ambient" };

static int last_cap(void)
{
	/* libcap probes the running kernel (not its own table) for this. */
	int n = cap_max_bits();

	return n > 64 ? 63 : n - 1;
}

static int current_caps(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable,
			struct berth_error **err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (capget(&hdr, data) < 0)
		return berth_fail_errno(err, errno, "capget");
	*effective = data[0].effective | (uint64_t)data[1].effective << 32;
	*permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

/* The capabilities of `of` that are in the bounding set: one prctl per capability asked
 * about, so callers ask only about the ones they need. */
static uint64_t bounding_among(uint64_t of)
{
	uint64_t set = 0;
	int cap;

	for (cap = 0; cap <= last_cap(); cap++)
		if ((of & CAP_BIT(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			set |= CAP_BIT(cap);
	return set;
}

/* The ambient set: only a capability both permitted and inheritable can be in it
 * (capabilities(7)), so only those are asked about. */
static uint64_t current_ambient(uint64_t permitted, uint64_t inheritable)
{
	uint64_t set = 0;
	int cap;

	for (cap = 0; cap <= last_cap(); cap++)
		if ((permitted & inheritable & CAP_BIT(cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1)
			set |= CAP_BIT(cap);
	return set;
}

static int parse_set(char *const *names, size_t n, const char *set, uint64_t *out,
		     struct berth_error **err)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		cap_value_t cap;

		/* cap_from_name also takes numbers and lower-case names; the spec's are CAP_X. */
		if (strncmp(names[i], "CAP_", 4) != 0 || cap_from_name(names[i], &cap) < 0)
			return berth_fail(err, "process.capabilities.%s[%zu]: unknown capability '%s'",
					  set, i, names[i]);
		if (cap > last_cap())
			return berth_fail(err,
					  "process.capabilities.%s[%zu]: %s is not supported by this kernel",
					  set, i, names[i]);
		*out |= CAP_BIT(cap);
	}
	return 0;
}

/* The first capability of `missing` by name, for a message. */
static const char *first_name(uint64_t missing, char *buf, size_t len)
{
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (missing & CAP_BIT(cap)) {
			char *name = cap_to_name(cap);

			snprintf(buf, len, "%s", name ? name : "?");
			cap_free(name);
			for (char *p = buf; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p -= 'a' - 'A';
			return buf;
		}
	return "?";
}

int caps_plan_make(const struct oci_capabilities *caps, struct caps_plan *plan,
		   struct berth_error **err)
{
	uint64_t *sets[] = { &plan->bounding, &plan->effective, &plan->inheritable,
			     &plan->permitted, &plan->ambient };
	uint64_t have_eff = 0, have_perm = 0, have_inh = 0, available;
	char name[64];
	size_t i;

	if (current_caps(&have_eff, &have_perm, &have_inh, err) < 0)
		return -1;
	if (caps == NULL) {
		/* Every bit set: caps_drop_bounding then drops nothing. */
		plan->bounding = ~UINT64_C(0);
		plan->effective = have_eff;
		plan->permitted = have_perm;
		plan->inheritable = have_inh;
		plan->ambient = current_ambient(have_perm, have_inh);
		return 0;
	}
	if (parse_set(caps->bounding, caps->bounding_len, "bounding", &plan->bounding, err) < 0 ||
	    parse_set(caps->effective, caps->effective_len, "effective", &plan->effective, err) < 0 ||
	    parse_set(caps->inheritable, caps->inheritable_len, "inheritable", &plan->inheritable,
		      err) < 0 ||
	    parse_set(caps->permitted, caps->permitted_len, "permitted", &plan->permitted, err) < 0 ||
	    parse_set(caps->ambient, caps->ambient_len, "ambient", &plan->ambient, err) < 0)
		return -1;

	/* What berth can hand out: a capability it neither holds nor may keep is an error. A
	 * capability outside the permitted set is unavailable whatever the bounding set says,
	 * so the bounding set is only read for the permitted ones the config names. */
	available = bounding_among(have_perm & (plan->bounding | plan->effective |
						plan->inheritable | plan->permitted |
						plan->ambient));
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (*sets[i] & ~available)
			return berth_fail(err,
					  "process.capabilities.%s: %s is not available to berth on this "
					  "host (missing from its own bounding or permitted set)",
					  set_names[i], first_name(*sets[i] & ~available, name, sizeof(name)));
	/* The kernel's rules, checked here so the error names the field instead of EPERM. */
	if (plan->effective & ~plan->permitted)
		return berth_fail(err, "process.capabilities.effective: %s is not in permitted",
				  first_name(plan->effective & ~plan->permitted, name, sizeof(name)));
	/* runc warns and skips an ambient capability the kernel would refuse, and its own
	 * `runc spec` asks for some: do the same so those configs keep working. */
	if (plan->ambient & ~(plan->permitted & plan->inheritable)) {
		fprintf(stderr,
			"berth: warning: process.capabilities.ambient: %s is not in both permitted "
			"and inheritable: not raised\n",
			first_name(plan->ambient & ~(plan->permitted & plan->inheritable), name,
				   sizeof(name)));
		plan->ambient &= plan->permitted & plan->inheritable;
	}
	if (plan->inheritable & ~(plan->bounding | have_inh))
		return berth_fail(err, "process.capabilities.inheritable: %s is not in bounding",
				  first_name(plan->inheritable & ~plan->bounding, name, sizeof(name)));
	return 0;
}

int caps_drop_bounding(const struct caps_plan *plan, struct berth_error **err)
{
	int cap;

	/* Dropping a capability the set does not hold is a no-op for the kernel, so each one
	 * costs a single prctl; the set is read only when a drop fails, since a berth without
	 * CAP_SETPCAP may still run a container whose bounding set it already lacks. */
	for (cap = 0; cap <= last_cap(); cap++) {
		if (plan->bounding & CAP_BIT(cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			int e = errno;
			char name[64];

			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0)
				continue;
			return berth_fail_errno(err, e, "process.capabilities.bounding: drop %s",
						first_name(CAP_BIT(cap), name, sizeof(name)));
		}
	}
	return 0;
}

int caps_set(const struct caps_plan *plan, uint64_t extra, struct berth_error **err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint64_t eff = plan->effective | extra, perm = plan->permitted | extra;
	int cap;

	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = (uint32_t)plan->inheritable;
	data[1].inheritable = (uint32_t)(plan->inheritable >> 32);
	if (capset(&hdr, data) < 0)
		return berth_fail_errno(err, errno, "process.capabilities: capset");

	/* Clearing first means an exec'd process never keeps ambient capabilities it was not
	 * given, whatever berth itself carried. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_fail_errno(err, errno, "process.capabilities.ambient: clear");
	for (cap = 0; cap <= last_cap(); cap++) {
		if (!(plan->ambient & CAP_BIT(cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
			char name[64];

			return berth_fail_errno(err, errno, "process.capabilities.ambient: raise %s",
						first_name(CAP_BIT(cap), name, sizeof(name)));
		}
	}
	return 0;
}
