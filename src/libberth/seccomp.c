/*
 * linux.seccomp (seccomp.h): the profile is validated and turned into a canonical text
 * (resolved actions, architectures, operators), which keys the filter cache; on a miss
 * libseccomp compiles it and the BPF is exported, so the init loads it itself with seccomp(2)
 * and chooses the flags (TSYNC, LOG, SPEC_ALLOW, NEW_LISTENER, WAIT_KILLABLE_RECV).
 * Compilation happens in the parent; the child only calls seccomp(2) and, for notify
 * profiles, sends the fd to the agent. Nothing here may run between the load and execve but
 * seccomp(2), sendmsg and close: any other syscall could be the one the profile denies.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-cache.h"
#include "seccomp-notify.h"
#include "seccomp.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define PFX "config.json: linux.seccomp"
/* libseccomp filter layout: 2 is a binary tree of syscall numbers (SCMP_FLTATR_CTL_OPTIMIZE). */
#define FILTER_OPTIMIZE 2

struct berth_seccomp {
	struct sock_filter *insns;
	unsigned short len;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* */
	bool notify;        /* some action is SCMP_ACT_NOTIFY: load with NEW_LISTENER */
	int listener;       /* connected listenerPath socket (child only), or -1 */
	char *state_json;   /* the container process state sent with the notify fd */
	size_t state_len;
};

static const struct {
	const char *name;
	uint32_t action;
	bool takes_errno; /* the low 16 bits carry errnoRet */
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	unsigned int flag;
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The architectures of config-linux.md; libseccomp names them in lower case without the
 * prefix. */
static const char *const arch_names[] = {
	"SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",
	"SCMP_ARCH_ARM",       "SCMP_ARCH_AARCH64",   "SCMP_ARCH_MIPS",
	"SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
	"SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
	"SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",   "SCMP_ARCH_S390",
	"SCMP_ARCH_S390X",     "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",
	"SCMP_ARCH_RISCV64",   "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
	"SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int sys_seccomp(unsigned int op, unsigned int flags, void *args)
{
	return (int)syscall(SYS_seccomp, op, flags, args);
}

static uint32_t arch_token(const char *name)
{
	char lower[32];
	size_t i;

	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(lower))
		return 0;
	for (i = 0; name[10 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

static int resolve_action(const char *name, bool has_errno, uint32_t errno_ret,
			  const char *where, uint32_t *out, struct berth_error **err)
{
	size_t i;

	for (i = 0; i < N(actions); i++)
		if (strcmp(actions[i].name, name) == 0)
			break;
	if (i == N(actions))
		return berth_fail(err, PFX "%s: unknown action '%s'", where, name);
	if (!actions[i].takes_errno) {
		if (has_errno)
			return berth_fail(err, PFX "%s: %s takes no errno return code", where, name);
		*out = actions[i].action;
		return 0;
	}
	if (!has_errno)
		errno_ret = EPERM;
	if (errno_ret > 0xffff)
		return berth_fail(err, PFX "%s: errno return code %u is out of range (0-65535)",
				  where, errno_ret);
	*out = actions[i].action | errno_ret;
	return 0;
}

static int resolve_operator(const char *name, enum scmp_compare *op)
{
	size_t i;

	for (i = 0; i < N(operators); i++)
		if (strcmp(operators[i].name, name) == 0) {
			*op = operators[i].op;
			return 0;
		}
	return -1;
}

/* The profile as libseccomp will see it, validated. */
struct profile {
	uint32_t default_action;
	uint32_t *archs;
	size_t archs_len;
	uint32_t *rule_actions; /* one per linux.seccomp.syscalls entry */
	unsigned int flags;
	bool notify;
};

static void profile_clear(struct profile *p)
{
	free(p->archs);
	free(p->rule_actions);
}

static int resolve_profile(const struct oci_seccomp *s, struct profile *p,
			   struct berth_error **err)
{
	char where[96];
	size_t i, j;

	if (resolve_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret,
			   ".defaultAction", &p->default_action, err) < 0)
		return -1;
	/* The init's own sendmsg of the notify fd would be notified to an agent that has no
	 * fd yet: runc refuses this too. */
	if (p->default_action == SCMP_ACT_NOTIFY)
		return berth_fail(err, PFX ".defaultAction: SCMP_ACT_NOTIFY cannot be the default "
				       "action");
	if (s->listener_metadata && !s->listener_path)
		return berth_fail(err, PFX ".listenerMetadata: set without listenerPath");

	p->archs = calloc(s->architectures_len + 1, sizeof(*p->archs));
	p->rule_actions = calloc(s->syscalls_len + 1, sizeof(*p->rule_actions));
	if (p->archs == NULL || p->rule_actions == NULL)
		return berth_fail_errno(err, ENOMEM, "seccomp profile");
	for (i = 0; i < s->architectures_len; i++) {
		p->archs[i] = arch_token(s->architectures[i]);
		if (p->archs[i] == 0)
			return berth_fail(err, PFX ".architectures[%zu]: unknown architecture '%s'", i,
					  s->architectures[i]);
	}
	p->archs_len = s->architectures_len;

	for (i = 0; i < s->flags_len; i++) {
		for (j = 0; j < N(filter_flags); j++)
			if (strcmp(filter_flags[j].name, s->flags[i]) == 0)
				break;
		if (j == N(filter_flags))
			return berth_fail(err, PFX ".flags[%zu]: unknown flag '%s'", i, s->flags[i]);
		p->flags |= filter_flags[j].flag;
	}

	for (i = 0; i < s->syscalls_len; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];

		snprintf(where, sizeof(where), ".syscalls[%zu].action", i);
		if (sc->names_len == 0)
			return berth_fail(err, PFX ".syscalls[%zu].names: must not be empty", i);
		if (resolve_action(sc->action, sc->has_errno_ret, sc->errno_ret, where,
				   &p->rule_actions[i], err) < 0)
			return -1;
		if (p->rule_actions[i] == SCMP_ACT_NOTIFY) {
			p->notify = true;
			for (j = 0; j < sc->names_len; j++)
				if (strcmp(sc->names[j], "sendmsg") == 0)
					return berth_fail(err, PFX ".syscalls[%zu]: SCMP_ACT_NOTIFY "
							       "cannot apply to sendmsg, which "
							       "sends the notify fd",
							  i);
		}
		for (j = 0; j < sc->args_len; j++) {
			const struct oci_seccomp_arg *a = &sc->args[j];
			enum scmp_compare op;

			if (a->index > 5)
				return berth_fail(err, PFX ".syscalls[%zu].args[%zu].index: %u is out "
						       "of range (0-5)",
						  i, j, a->index);
			if (resolve_operator(a->op, &op) < 0)
				return berth_fail(err, PFX ".syscalls[%zu].args[%zu].op: unknown "
						       "operator '%s'",
						  i, j, a->op);
		}
	}
	if (p->notify && s->listener_path == NULL)
		return berth_fail(err, PFX ".listenerPath: required when SCMP_ACT_NOTIFY is used");
	if (s->listener_path && s->listener_path[0] != '/')
		return berth_fail(err, PFX ".listenerPath: '%s' is not an absolute path",
				  s->listener_path);
	return 0;
}

/* Everything the BPF depends on, as unambiguous text: strings are length-prefixed. The
 * libseccomp version and API level are part of it because they change the output. */
/* The canonical text is built by hand, not with stdio: a Docker-sized profile has ~300 names,
 * and fprintf's formatting machinery was a third of the cost of a cache hit. */
struct key_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void key_add(struct key_buf *k, const char *s, size_t n)
{
	if (k->oom)
		return;
	if (k->len + n > k->cap) {
		size_t cap = (k->cap ? k->cap * 2 : 4096) + n;
		char *p = realloc(k->p, cap);
		if (p == NULL) {
			k->oom = true;
			return;
		}
		k->p = p;
		k->cap = cap;
	}
	memcpy(k->p + k->len, s, n);
	k->len += n;
}

static void key_str(struct key_buf *k, const char *s)
{
	key_add(k, s, strlen(s));
}

/* A number in hex followed by `sep`. */
static void key_hex(struct key_buf *k, unsigned long long v, char sep)
{
	char tmp[20], *q = tmp + sizeof(tmp);

	*--q = sep;
	do
		*--q = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	key_add(k, q, (size_t)(tmp + sizeof(tmp) - q));
}

/* A string prefixed with its length, so no name can be mistaken for two. */
static void key_name(struct key_buf *k, const char *s)
{
	size_t n = strlen(s);

	key_hex(k, n, ':');
	key_add(k, s, n);
	key_add(k, " ", 1);
}

static int canonical_key(const struct oci_seccomp *s, const struct profile *p, char **key,
			 size_t *len, struct berth_error **err)
{
	const struct scmp_version *v = seccomp_version();
	struct key_buf k = { 0 };
	size_t i, j;

	key_str(&k, "libseccomp ");
	key_hex(&k, v->major, '.');
	key_hex(&k, v->minor, '.');
	key_hex(&k, v->micro, ' ');
	key_str(&k, "api ");
	key_hex(&k, seccomp_api_get(), ' ');
	key_str(&k, "native ");
	key_hex(&k, seccomp_arch_native(), ' ');
	key_str(&k, "optimize ");
	key_hex(&k, FILTER_OPTIMIZE, '\n');
	key_str(&k, "default ");
	key_hex(&k, p->default_action, '\n');
	for (i = 0; i < p->archs_len; i++) {
		key_str(&k, "arch ");
		key_hex(&k, p->archs[i], '\n');
	}
	for (i = 0; i < s->syscalls_len; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];

		key_str(&k, "rule ");
		key_hex(&k, p->rule_actions[i], ' ');
		for (j = 0; j < sc->names_len; j++)
			key_name(&k, sc->names[j]);
		for (j = 0; j < sc->args_len; j++) {
			const struct oci_seccomp_arg *a = &sc->args[j];
			key_str(&k, "[");
			key_hex(&k, a->index, ' ');
			key_name(&k, a->op);
			key_hex(&k, a->value, ' ');
			key_hex(&k, a->value_two, ']');
		}
		key_add(&k, "\n", 1);
	}
	if (k.oom) {
		free(k.p);
		return berth_fail_errno(err, ENOMEM, "seccomp profile");
	}
	*key = k.p;
	*len = k.len;
	return 0;
}

static bool has_duplicate_index(const struct oci_seccomp_syscall *sc)
{
	unsigned int seen = 0;
	size_t j;

	for (j = 0; j < sc->args_len; j++) {
		if (seen & (1u << sc->args[j].index))
			return true;
		seen |= 1u << sc->args[j].index;
	}
	return false;
}

static int add_rules(scmp_filter_ctx ctx, const struct oci_seccomp *s, const struct profile *p,
		     FILE *warnings, struct berth_error **err)
{
	size_t i, j, k;

	for (i = 0; i < s->syscalls_len; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		_cleanup_free_ struct scmp_arg_cmp *cmps = NULL;
		bool split = has_duplicate_index(sc);

		/* libseccomp refuses a rule that repeats the default action; it is a no-op. */
		if (p->rule_actions[i] == p->default_action)
			continue;
		cmps = calloc(sc->args_len + 1, sizeof(*cmps));
		if (cmps == NULL)
			return berth_fail_errno(err, ENOMEM, "seccomp profile");
		for (k = 0; k < sc->args_len; k++) {
			cmps[k].arg = sc->args[k].index;
			resolve_operator(sc->args[k].op, &cmps[k].op);
			cmps[k].datum_a = sc->args[k].value;
			cmps[k].datum_b = sc->args[k].value_two;
		}
		for (j = 0; j < sc->names_len; j++) {
			int nr = seccomp_syscall_resolve_name(sc->names[j]);
			int r = 0;

			/* Profiles outlive kernels and libseccomp releases: runc skips names it
			 * cannot resolve, and so do we, loudly. */
			if (nr == __NR_SCMP_ERROR) {
				fprintf(warnings,
					"warning: " PFX ".syscalls[%zu].names[%zu]: unknown syscall "
					"'%s', skipped\n",
					i, j, sc->names[j]);
				continue;
			}
			/* Several conditions on one argument cannot be ANDed in one libseccomp
			 * rule; as runc does, each becomes a rule of its own (an OR). */
			if (split) {
				for (k = 0; k < sc->args_len && r == 0; k++)
					r = seccomp_rule_add_array(ctx, p->rule_actions[i], nr, 1,
								   &cmps[k]);
			} else {
				r = seccomp_rule_add_array(ctx, p->rule_actions[i], nr,
							   (unsigned int)sc->args_len, cmps);
			}
			if (r < 0)
				return berth_fail_errno(err, -r, PFX ".syscalls[%zu]: rule for '%s'", i,
							sc->names[j]);
		}
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct seccomp_blob *blob, struct berth_error **err)
{
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	struct stat st;
	ssize_t n;
	int r;

	if (fd < 0)
		return berth_fail_errno(err, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berth_fail_errno(err, -r, "seccomp: export the filter");
	if (fstat(fd, &st) < 0)
		return berth_fail_errno(err, errno, "seccomp: exported filter");
	if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_fail(err, "seccomp: the compiled filter has %lld bytes, more than the "
				       "kernel's %d instructions",
				  (long long)st.st_size, BPF_MAXINSNS);
	blob->bpf = malloc((size_t)st.st_size);
	if (blob->bpf == NULL)
		return berth_fail_errno(err, ENOMEM, "seccomp: exported filter");
	n = pread(fd, blob->bpf, (size_t)st.st_size, 0);
	if (n != st.st_size)
		return berth_fail_errno(err, n < 0 ? errno : EIO, "seccomp: read the exported filter");
	blob->bpf_len = (size_t)st.st_size;
	return 0;
}

static int compile_profile(const struct oci_seccomp *s, const struct profile *p,
			   struct seccomp_blob *blob, struct berth_error **err)
{
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	FILE *warnings = NULL;
	size_t wlen, i;
	int r = -1;

	memset(blob, 0, sizeof(*blob));
	if (ctx == NULL)
		return berth_fail(err, PFX ": libseccomp cannot start a filter with the default "
				       "action %#x", p->default_action);
	warnings = open_memstream(&blob->warnings, &wlen);
	if (warnings == NULL) {
		berth_fail_errno(err, errno, "seccomp profile");
		goto out;
	}
	/* A binary tree of syscall numbers instead of a linear chain: the kernel converts and
	 * JIT-compiles a Docker-sized profile in about half the time (0.55 vs 0.96 ms here). */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, FILTER_OPTIMIZE) < 0) {
		berth_fail(err, PFX ": libseccomp cannot build a binary-tree filter");
		goto out;
	}
	for (i = 0; i < p->archs_len; i++) {
		int a = seccomp_arch_add(ctx, p->archs[i]);
		if (a < 0 && a != -EEXIST) {
			berth_fail_errno(err, -a, PFX ".architectures[%zu]: '%s'", i,
					 s->architectures[i]);
			goto out;
		}
	}
	if (add_rules(ctx, s, p, warnings, err) < 0 || export_bpf(ctx, blob, err) < 0)
		goto out;
	r = 0;
out:
	if (warnings && fclose(warnings) != 0 && r == 0)
		r = berth_fail_errno(err, ENOMEM, "seccomp profile");
	seccomp_release(ctx);
	if (r < 0)
		seccomp_blob_clear(blob);
	return r;
}

/* WAIT_KILLABLE_RECV (Linux 5.19) is used where the kernel has it: asking for it elsewhere
 * is EINVAL, and without it the agent's wait merely stays interruptible. */
static bool kernel_has_flags(unsigned int flags)
{
	return sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
}

static unsigned int load_flags(const struct profile *p)
{
	unsigned int flags = p->flags;

	if (!p->notify) {
		/* Only meaningful, and only accepted, with a listener. */
		flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
		return flags;
	}
	flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	/* TSYNC and NEW_LISTENER together need TSYNC_ESRCH to tell the fd from a thread id. */
	if (flags & SECCOMP_FILTER_FLAG_TSYNC)
		flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) &&
	    !kernel_has_flags(SECCOMP_FILTER_FLAG_NEW_LISTENER |
			      SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV))
		flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	return flags;
}

int seccomp_compile(struct berth_container *c, struct berth_error **err)
{
	const struct oci_seccomp *s =
		c->config && c->config->linux_ ? c->config->linux_->seccomp : NULL;
	const char *root = c->opts ? c->opts->root : NULL;
	struct profile p = { 0 };
	struct seccomp_blob blob = { 0 };
	_cleanup_free_ char *key = NULL;
	struct berth_seccomp *out;
	size_t key_len = 0;
	bool hit = false;

	c->seccomp = NULL;
	if (s == NULL)
		return 0;
	if (resolve_profile(s, &p, err) < 0 || canonical_key(s, &p, &key, &key_len, err) < 0)
		goto fail;
	if (root)
		hit = seccomp_cache_lookup(root, key, key_len, &blob);
	if (!hit) {
		if (compile_profile(s, &p, &blob, err) < 0)
			goto fail;
		if (root)
			seccomp_cache_store(root, key, key_len, &blob);
	}
	fputs(blob.warnings, stderr);

	out = calloc(1, sizeof(*out));
	if (out == NULL) {
		berth_fail_errno(err, ENOMEM, "seccomp");
		goto fail;
	}
	out->insns = (struct sock_filter *)steal_pointer(&blob.bpf);
	out->len = (unsigned short)(blob.bpf_len / sizeof(struct sock_filter));
	out->flags = load_flags(&p);
	out->notify = p.notify;
	out->listener = -1;
	seccomp_blob_clear(&blob);
	profile_clear(&p);
	c->seccomp = out;
	return 0;
fail:
	seccomp_blob_clear(&blob);
	profile_clear(&p);
	return -1;
}

int seccomp_connect_listener(struct berth_container *c, struct berth_error **err)
{
	struct berth_seccomp *s = c->seccomp;

	if (s == NULL || !s->notify || s->listener >= 0)
		return 0;
	if (listener_state(c, &s->state_json, &s->state_len, err) < 0)
		return berth_wrap(err, "seccomp listener");
	s->listener = listener_connect(c->config->linux_->seccomp->listener_path, err);
	return s->listener < 0 ? -1 : 0;
}

int seccomp_listener_fd(const struct berth_seccomp *s)
{
	return s ? s->listener : -1;
}

int seccomp_load_filter(struct berth_container *c, struct berth_error **err)
{
	struct berth_seccomp *s = c->seccomp;
	struct sock_fprog prog;
	_cleanup_close_ int notify_fd = -1;
	int r;

	if (s == NULL)
		return 0;
	if (s->notify && s->listener < 0)
		return berth_fail(err, "seccomp: the listener was not connected before the load");
	prog.len = s->len;
	prog.filter = s->insns;
	r = sys_seccomp(SECCOMP_SET_MODE_FILTER, s->flags, &prog);
	/* Without CAP_SYS_ADMIN the kernel insists on no_new_privs (EACCES); set it, as runc
	 * does, rather than fail a profile the caller asked for. */
	if (r < 0 && errno == EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return berth_fail_errno(err, errno, "seccomp: set no_new_privs");
		r = sys_seccomp(SECCOMP_SET_MODE_FILTER, s->flags, &prog);
	}
	if (r < 0)
		return berth_fail_errno(err, errno, "seccomp: load the filter (flags %#x)", s->flags);
	if (!s->notify)
		return 0;
	notify_fd = r;
	if (listener_send(s->listener, s->state_json, s->state_len, notify_fd, err) < 0)
		return -1;
	/* One state per connection, then close it (config-linux.md). */
	close(s->listener);
	s->listener = -1;
	return 0;
}

void seccomp_free(struct berth_seccomp *s)
{
	if (s == NULL)
		return;
	if (s->listener >= 0)
		close(s->listener);
	free(s->insns);
	free(s->state_json);
	free(s);
}

/* ---- features ----------------------------------------------------------------------------- */

static int push(char ***list, size_t *len, const char *s)
{
	char **grown = realloc(*list, (*len + 1) * sizeof(**list));

	if (grown == NULL)
		return -1;
	*list = grown;
	grown[*len] = strdup(s);
	if (grown[*len] == NULL)
		return -1;
	(*len)++;
	return 0;
}

/* The features tables keep the seccomp object's type private: free it through a document. */
static void free_features_seccomp(struct oci_features_seccomp *f)
{
	struct oci_features *doc = calloc(1, sizeof(*doc));
	struct oci_features_linux *lx = calloc(1, sizeof(*lx));

	if (doc == NULL || lx == NULL) {
		free(doc);
		free(lx);
		return; /* out of memory twice over: leak rather than crash */
	}
	lx->seccomp = f;
	doc->linux_ = lx;
	oci_free(&oci_features_type, doc);
}

int seccomp_features(struct oci_features_seccomp **out, struct berth_error **err)
{
	struct oci_features_seccomp *f = calloc(1, sizeof(*f));
	size_t i;
	int r = 0;

	*out = NULL;
	if (f == NULL)
		return berth_fail_errno(err, ENOMEM, "seccomp features");
	f->enabled = true;
	f->has_enabled = true;
	for (i = 0; i < N(actions) && r == 0; i++)
		r = push(&f->actions, &f->actions_len, actions[i].name);
	for (i = 0; i < N(operators) && r == 0; i++)
		r = push(&f->operators, &f->operators_len, operators[i].name);
	for (i = 0; i < N(arch_names) && r == 0; i++)
		if (arch_token(arch_names[i]) != 0)
			r = push(&f->archs, &f->archs_len, arch_names[i]);
	for (i = 0; i < N(filter_flags) && r == 0; i++) {
		unsigned int flag = filter_flags[i].flag;

		r = push(&f->known_flags, &f->known_flags_len, filter_flags[i].name);
		/* A NULL program is EFAULT when the flags are known to the kernel, EINVAL when
		 * not; WAIT_KILLABLE_RECV is only valid with a listener. */
		if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
			flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (r == 0 && kernel_has_flags(flag))
			r = push(&f->supported_flags, &f->supported_flags_len, filter_flags[i].name);
	}
	if (r < 0) {
		free_features_seccomp(f);
		return berth_fail_errno(err, ENOMEM, "seccomp features");
	}
	*out = f;
	return 0;
}
