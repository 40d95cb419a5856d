/*
 * rlimits, oomScoreAdj, personality and the session keyring of the container's process.
 * These run before the rootfs is built, while berth is still root with every capability, but
 * some settings need more than the host grants (raising a hard rlimit or lowering
 * oom_score_adj needs CAP_SYS_RESOURCE in the initial user namespace): those fail with a
 * message naming the config field, never silently.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/keyctl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process-limits.h"
#include "thread-self.h"
#include "util.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int rlimit_resource(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

static bool have_effective_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (capget(&hdr, data) < 0)
		return false;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

int rlimits_check(const struct oci_process *p, struct berth_error **err)
{
	size_t i, j;

	for (i = 0; i < p->rlimits_len; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit cur;
		int res = rlimit_resource(r->type);

		if (res < 0)
			return berth_fail(err, "process.rlimits[%zu]: unknown type '%s'", i,
					  r->type ? r->type : "");
		for (j = 0; j < i; j++)
			if (strcmp(p->rlimits[j].type, r->type) == 0)
				return berth_fail(err, "process.rlimits[%zu]: %s is already set by "
						       "process.rlimits[%zu]", i, r->type, j);
		if (r->soft > r->hard)
			return berth_fail(err, "process.rlimits[%zu]: %s: soft limit %" PRIu64
					       " is above the hard limit %" PRIu64, i, r->type,
					  r->soft, r->hard);
		/* Raising a hard limit needs CAP_SYS_RESOURCE; say so before anything starts. */
		if (getrlimit(res, &cur) == 0 && r->hard > (uint64_t)cur.rlim_max &&
		    !have_effective_cap(CAP_SYS_RESOURCE))
			return berth_fail_errno(err, EPERM,
						"process.rlimits[%zu]: %s: cannot raise the hard limit "
						"from %" PRIu64 " to %" PRIu64 " without CAP_SYS_RESOURCE",
						i, r->type, (uint64_t)cur.rlim_max, r->hard);
	}
	return 0;
}

int rlimits_apply(const struct oci_process *p, struct berth_error **err)
{
	size_t i;

	for (i = 0; i < p->rlimits_len; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit want = { .rlim_cur = r->soft, .rlim_max = r->hard }, old;
		int res = rlimit_resource(r->type);

		if (res < 0)
			return berth_fail(err, "process.rlimits[%zu]: unknown type '%s'", i,
					  r->type ? r->type : "");
		if (prlimit(0, res, &want, &old) == 0)
			continue;
		if (errno == EPERM && getrlimit(res, &old) == 0 && r->hard > (uint64_t)old.rlim_max)
			return berth_fail_errno(err, EPERM,
						"process.rlimits[%zu]: %s: cannot raise the hard limit "
						"from %" PRIu64 " to %" PRIu64 " without CAP_SYS_RESOURCE "
						"in the initial user namespace",
						i, r->type, (uint64_t)old.rlim_max, r->hard);
		return berth_fail_errno(err, errno, "process.rlimits[%zu]: %s: setrlimit(%" PRIu64
					", %" PRIu64 ")", i, r->type, r->soft, r->hard);
	}
	return 0;
}

int oom_score_adj_check(const struct oci_process *p, struct berth_error **err)
{
	if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
		return berth_fail(err, "process.oomScoreAdj: %d is outside -1000..1000",
				  (int)p->oom_score_adj);
	return 0;
}

int oom_score_adj_apply(const struct oci_process *p, struct berth_error **err)
{
	char value[16];

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(value, sizeof(value), "%d", (int)p->oom_score_adj);
	if (thread_self_write("oom_score_adj", value, err) < 0) {
		if (*err && (*err)->errnum == EACCES)
			berth_wrap(err, "process.oomScoreAdj %s (lowering it needs "
					"CAP_SYS_RESOURCE)", value);
		else
			berth_wrap(err, "process.oomScoreAdj %s", value);
		return -1;
	}
	return 0;
}

static int personality_domain(const struct oci_personality *pers, unsigned long *out,
			      struct berth_error **err)
{
	if (pers->domain == NULL)
		return berth_fail(err, "linux.personality.domain: required");
	if (strcmp(pers->domain, "LINUX") == 0)
		*out = PER_LINUX;
	else if (strcmp(pers->domain, "LINUX32") == 0)
		*out = PER_LINUX32;
	else
		return berth_fail(err, "linux.personality.domain: unknown domain '%s' (expected "
				       "LINUX or LINUX32)", pers->domain);
	/* The spec defines no flag values yet: refuse rather than guess. */
	if (pers->flags_len > 0)
		return berth_fail(err, "linux.personality.flags[0]: unsupported flag '%s'",
				  pers->flags[0]);
	return 0;
}

int personality_check(const struct oci_config *cfg, struct berth_error **err)
{
	unsigned long domain;

	if (cfg == NULL || cfg->linux_ == NULL || cfg->linux_->personality == NULL)
		return 0;
	return personality_domain(cfg->linux_->personality, &domain, err);
}

int personality_apply(const struct oci_config *cfg, struct berth_error **err)
{
	unsigned long domain;

	if (cfg == NULL || cfg->linux_ == NULL || cfg->linux_->personality == NULL)
		return 0;
	if (personality_domain(cfg->linux_->personality, &domain, err) < 0)
		return -1;
	if (personality(domain) < 0)
		return berth_fail_errno(err, errno, "linux.personality: personality(%s)",
					cfg->linux_->personality->domain);
	return 0;
}

static bool has_user_namespace(const struct oci_config *cfg)
{
	size_t i;

	for (i = 0; cfg && cfg->linux_ && i < cfg->linux_->namespaces_len; i++)
		if (cfg->linux_->namespaces[i].type &&
		    strcmp(cfg->linux_->namespaces[i].type, "user") == 0)
			return true;
	return false;
}

/* The permission mask of a KEYCTL_DESCRIBE answer, "type;uid;gid;perm;description" with perm
 * in hex; -1 when malformed. Parsed by hand: this runs in the init after the fork, where
 * sscanf's code and buffers would be page faults of their own. */
static long describe_perm(const char *desc)
{
	const char *p = desc;
	char *end;
	unsigned long perm;

	for (int i = 0; i < 3; i++) {
		p = strchr(p, ';');
		if (p == NULL)
			return -1;
		p++;
	}
	errno = 0;
	perm = strtoul(p, &end, 16);
	if (errno || end == p || *end != ';' || perm > 0xffffffffUL)
		return -1;
	return (long)perm;
}

int session_keyring_join(const struct berth_container *c, struct berth_error **err)
{
	/* KEY_OTH_SEARCH with a user namespace (the owner's uid is not the container's), else
	 * KEY_USR_SEARCH: so `exec` can join the init's keyring, as with runc. */
	unsigned long search = has_user_namespace(c->config) ? 0x8 : 0x80000;
	/* Container ids are at most 1024 characters (state_check_id). */
	char name[sizeof("_ses.") + 1024], desc[512];
	size_t len = c->id ? strlen(c->id) : 0;
	long key, n, perm;

	if (c->opts && c->opts->no_new_keyring)
		return 0;
	if (len > 1024)
		return berth_fail(err, "container id '%s': too long for a session keyring name",
				  c->id);
	memcpy(name, "_ses.", 5);
	memcpy(name + 5, c->id ? c->id : "", len + 1);
	key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c->id ? name : NULL);
	if (key < 0) {
		/* A kernel without keys has nothing to leak: that is the one accepted failure. */
		if (errno == ENOSYS)
			return 0;
		return berth_fail_errno(err, errno, "join the session keyring '%s'",
					c->id ? name : "(anonymous)");
	}
	n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, key, desc, sizeof(desc));
	if (n < 0 || (size_t)n > sizeof(desc))
		return berth_fail_errno(err, n < 0 ? errno : E2BIG, "describe the session keyring");
	desc[sizeof(desc) - 1] = '\0';
	if ((perm = describe_perm(desc)) < 0)
		return berth_fail(err, "describe the session keyring: unexpected '%s'", desc);
	if (syscall(SYS_keyctl, KEYCTL_SETPERM, key, (unsigned long)perm | search) < 0)
		return berth_fail_errno(err, errno, "set the session keyring's permissions");
	return 0;
}
