/*
 * The container's process from "namespaces are joined" to execve, shared by the init and by
 * exec: the privileged settings first (process_prepare), then the identity switch and the
 * exec itself (process_exec) with seccomp as the very last step.
 * What this file must never do: leave an fd other than stdio and --preserve-fds open across
 * execve, resolve process.cwd through a magic link (/proc/self/fd/N: CVE-2024-21626), grant a
 * capability the config did not name, or return success from process_exec.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "lsm.h"
#include "process-limits.h"
#include "process-sched.h"
#include "process.h"
#include "seccomp.h"
#include "util.h"

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "additionalGids are passed as gid_t");

static int open_beneath_root(int dirfd, const char *path, int flags)
{
	/* Magic links (/proc/self/fd/N, /proc/<pid>/cwd) are how a leaked fd reaches the host:
	 * no path taken from the config or the image may go through one. */
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC,
				.resolve = RESOLVE_NO_MAGICLINKS };

	return openat2_retry(dirfd, path, &how);
}

/* Go's spelling of an errno, which is what runc prints and what docker matches on. */
static const char *go_strerror(int errnum, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(errnum));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

static const char *env_get(const struct oci_process *p, const char *name)
{
	size_t len = strlen(name), i;
	const char *value = NULL;

	/* The last definition wins, as when runc sets them one by one. */
	for (i = 0; i < p->env_len; i++)
		if (strncmp(p->env[i], name, len) == 0 && p->env[i][len] == '=')
			value = p->env[i] + len + 1;
	return value;
}

static int env_check(const struct oci_process *p, struct berth_error **err)
{
	size_t i;

	for (i = 0; i < p->env_len; i++) {
		const char *eq = strchr(p->env[i], '=');

		if (eq == NULL || eq == p->env[i])
			return berth_fail(err, "process.env[%zu]: expected NAME=VALUE, got '%s'", i,
					  p->env[i]);
	}
	return 0;
}

/*
 * The capability plan of the last process_validate, and the process it belongs to. The init
 * is a fork of the process that validated its config (exec's child validates in
 * process_prepare): process_prepare and process_exec take the checks and the plan from here
 * instead of making them again, which after the fork would touch libcap's name tables and a
 * fresh heap page for every capability set, each a page fault, to reach the same answer.
 * Without process.capabilities the plan is "what we hold at exec time": not kept.
 */
static struct {
	const struct oci_process *p;
	struct caps_plan caps;
} validated;

int process_validate(const struct oci_config *cfg, const struct oci_process *p,
		     struct berth_error **err)
{
	struct caps_plan plan;

	validated.p = NULL;
	if (p == NULL)
		return berth_fail(err, "process: required");
	if (p->args_len == 0 || p->args[0] == NULL || p->args[0][0] == '\0')
		return berth_fail(err, "process.args: must be a non-empty array");
	if (p->cwd == NULL || p->cwd[0] != '/')
		return berth_fail(err, "process.cwd '%s': must be an absolute path",
				  p->cwd ? p->cwd : "");
	if (env_check(p, err) < 0 || rlimits_check(p, err) < 0 ||
	    oom_score_adj_check(p, err) < 0 || personality_check(cfg, err) < 0 ||
	    scheduler_check(p, err) < 0 || io_priority_check(p, err) < 0 ||
	    affinity_check(p, err) < 0 || caps_plan_make(p->capabilities, &plan, err) < 0 ||
	    lsm_check(p, err) < 0)
		return -1;
	validated.p = p;
	validated.caps = plan;
	return 0;
}

int process_prepare(struct berth_container *c, const struct oci_process *p,
		    struct berth_error **err)
{
	/* spawn/exec already did this; repeated here because everything below runs with
	 * berth's privileges inside the container's namespaces (CVE-2019-5736). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (validated.p != p && process_validate(c->config, p, err) < 0)
		return -1;
	if (personality_apply(c->config, err) < 0 || session_keyring_join(c, err) < 0 ||
	    oom_score_adj_apply(p, err) < 0 || rlimits_apply(p, err) < 0 ||
	    io_priority_apply(p, err) < 0)
		return -1;
	/* Last: SCHED_IDLE or SCHED_DEADLINE would slow or constrain the steps above. */
	return scheduler_apply(p, err);
}

int process_exec_affinity(const struct oci_process *p, bool final, struct berth_error **err)
{
	return affinity_apply(p, final, err);
}

int process_create_cwd(const struct oci_process *p, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int dir = -1;
	char *comp, *save = NULL;

	if (p->cwd == NULL || (path = strdup(p->cwd)) == NULL)
		return p->cwd ? berth_fail(err, "out of memory") : 0;
	dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return berth_fail_errno(err, errno, "open /");
	for (comp = strtok_r(path, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next = open_beneath_root(dir, comp, O_PATH | O_DIRECTORY);

		if (next < 0 && errno == ENOENT) {
			if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST)
				return berth_fail_errno(err, errno, "process.cwd '%s': mkdir '%s'",
							p->cwd, comp);
			next = open_beneath_root(dir, comp, O_PATH | O_DIRECTORY);
		}
		if (next < 0)
			return berth_fail_errno(err, errno, "process.cwd '%s': '%s'%s", p->cwd, comp,
						errno == ELOOP ? " (magic links are refused)" : "");
		close(dir);
		dir = next;
	}
	return 0;
}

static int change_dir(const char *cwd, struct berth_error **err)
{
	_cleanup_close_ int fd = open_beneath_root(AT_FDCWD, cwd, O_PATH | O_DIRECTORY);
	char buf[4096];

	if (fd < 0 && errno == ELOOP)
		return berth_fail_errno(err, errno, "process.cwd '%s': refusing a magic link or a "
						    "symlink loop", cwd);
	if (fd < 0 || fchdir(fd) < 0)
		return berth_fail_errno(err, errno, "process.cwd '%s'", cwd);
	/* A directory outside our root reads back as "(unreachable)/...", which glibc turns
	 * into ENOENT: never start a process there. */
	if (getcwd(buf, sizeof(buf)) == NULL && errno == ENOENT)
		return berth_fail_errno(err, errno, "process.cwd '%s' is outside the container's "
						    "root", cwd);
	return 0;
}

/* HOME for `uid` from the container's /etc/passwd, "/" when there is none (as runc). */
static char *passwd_home(uid_t uid)
{
	_cleanup_close_ int fd = open_beneath_root(AT_FDCWD, "/etc/passwd",
						   O_RDONLY | O_NONBLOCK | O_NOCTTY);
	_cleanup_fclose_ FILE *f = NULL;
	struct passwd pw, *found;
	struct stat st;
	char buf[4096];

	/* The image is hostile: only a regular file is read, never a fifo or a device. */
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return strdup("/");
	f = fdopen(fd, "r");
	if (f == NULL)
		return strdup("/");
	fd = -1;
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &found) == 0)
		if (found->pw_uid == uid)
			return strdup(found->pw_dir && *found->pw_dir ? found->pw_dir : "/");
	return strdup("/");
}

/*
 * runc's fixStdioPermissions: a process started as another user must be able to reopen its
 * own stdio (/dev/stdout, /proc/self/fd/1), so pipes, sockets and ttys berth was given are
 * handed to that uid. Regular files are host files and are left alone.
 */
static int give_stdio_to(uid_t uid, struct berth_error **err)
{
	struct stat null, st;
	int fd;

	if (stat("/dev/null", &null) < 0)
		null.st_rdev = (dev_t)-1;
	for (fd = 0; fd <= 2; fd++) {
		if (fstat(fd, &st) < 0 || st.st_uid == uid)
			continue;
		/* Only pipes, sockets and terminals: any other node (a host /dev/null when the
		 * container has none of its own to compare with) must never change owner. */
		if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !isatty(fd))
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev)
			continue;
		/* EINVAL: the uid is not mapped; EPERM: the owner is not ours; EROFS: read-only
		 * /dev. In each case it is better to leave stdio as it is than to fail. */
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM &&
		    errno != EROFS)
			return berth_fail_errno(err, errno, "chown stdio fd %d to uid %u", fd,
						(unsigned)uid);
	}
	return 0;
}

static int switch_user(const struct oci_user *u, struct berth_error **err)
{
	uid_t uid = u ? u->uid : 0;
	gid_t gid = u ? u->gid : 0;
	size_t ngroups = u ? u->additional_gids_len : 0;

	if (setgroups(ngroups, ngroups ? (const gid_t *)u->additional_gids : NULL) < 0) {
		/* In a user namespace with setgroups "deny" the groups cannot change at all;
		 * that is only a problem when the config asked for some. */
		if (errno != EPERM || ngroups > 0)
			return berth_fail_errno(err, errno, "process.user.additionalGids: setgroups");
	}
	if (setresgid(gid, gid, gid) < 0)
		return berth_fail_errno(err, errno, "process.user.gid %u: setresgid%s",
					(unsigned)gid,
					errno == EINVAL ? " (not mapped in the user namespace)" : "");
	if (setresuid(uid, uid, uid) < 0)
		return berth_fail_errno(err, errno, "process.user.uid %u: setresuid%s",
					(unsigned)uid,
					errno == EINVAL ? " (not mapped in the user namespace)" : "");
	return 0;
}

/* Go's exec.LookPath semantics, which runc uses: a regular file with any x bit. */
static int check_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno;
	if (!S_ISDIR(st.st_mode) && (st.st_mode & 0111))
		return 0;
	return EACCES;
}

/* An exec error in runc's words, with `errnum` kept for the caller's exit status. */
static int exec_fail(struct berth_error **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int exec_fail(struct berth_error **err, int errnum, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return berth_fail_take(err, errnum, msg);
}

static int find_executable(const struct oci_process *p, char **out, struct berth_error **err)
{
	const char *name = p->args[0], *path, *dir, *end;
	char ebuf[128];
	int e;

	if (strchr(name, '/')) {
		e = check_executable(name);
		if (e == 0)
			return (*out = strdup(name)) ? 0 : berth_fail(err, "out of memory");
		if (e == EACCES)
			return exec_fail(err, e, "exec: \"%s\": permission denied", name);
		return exec_fail(err, e, "exec: \"%s\": stat %s: %s", name, name,
				 go_strerror(e, ebuf, sizeof(ebuf)));
	}
	path = env_get(p, "PATH");
	for (dir = path; dir; dir = *end ? end + 1 : NULL) {
		_cleanup_free_ char *full = NULL;
		int dlen;

		end = strchrnul(dir, ':');
		dlen = (int)(end - dir);
		/* An empty entry means the current directory. */
		if (asprintf(&full, "%.*s/%s", dlen ? dlen : 1, dlen ? dir : ".", name) < 0)
			return berth_fail(err, "out of memory");
		if (check_executable(full) == 0) {
			*out = steal_pointer(&full);
			return 0;
		}
	}
	return exec_fail(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

int process_check_executable(const struct oci_process *p, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;

	return find_executable(p, &path, err);
}

/* "NAME=value", without the printf machinery: in the init that would be page faults of its
 * own right before execve. */
static char *env_entry(const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *s = malloc(nl + vl + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vl + 1);
	return s;
}

/* A NULL-terminated copy of a string array (libocispec arrays carry a length instead),
 * with `extra` appended when given. Only the array and `extra` are owned. */
static char **build_vector(char *const *items, size_t n, char *extra)
{
	char **v = calloc(n + 2, sizeof(char *));

	if (v == NULL)
		return NULL;
	memcpy(v, items, n * sizeof(char *));
	v[n] = extra;
	return v;
}
int process_exec(struct berth_container *c, const struct oci_process *p,
		 struct berth_error **err)
{
	const struct oci_user *u = p ? p->user : NULL;
	unsigned keep = 3 + (c->opts && c->opts->preserve_fds > 0 ? c->opts->preserve_fds : 0);
	_cleanup_free_ char *home = NULL, *home_var = NULL, *exe = NULL;
	_cleanup_free_ char **argv = NULL, **envp = NULL;
	uint64_t extra = 0;
	struct caps_plan plan;
	bool cwd_done, keepcaps;
	char ebuf[128];
	int e;

	if (p == NULL)
		return berth_fail(err, "process: required");
	if (p->args_len == 0 || p->cwd == NULL)
		return berth_fail(err, "process: args and cwd are required");
	if (validated.p == p && p->capabilities)
		plan = validated.caps;
	else if (env_check(p, err) < 0 || caps_plan_make(p->capabilities, &plan, err) < 0)
		return -1;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	/* CLOEXEC rather than close: the caller still reports errors over its sync socket, and
	 * nothing marked here survives the execve below. */
	if (close_range(keep, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return berth_fail_errno(err, errno, "close_range(%u, CLOEXEC)", keep);

	/* As root first (runc's order); a directory only the user may enter is retried later. */
	cwd_done = change_dir(p->cwd, err) == 0;
	if (!cwd_done && (*err)->errnum != EACCES && (*err)->errnum != EPERM)
		return -1;
	berth_error_free(*err);
	*err = NULL;

	if (env_get(p, "HOME") == NULL && (home = passwd_home(u ? u->uid : 0)) == NULL)
		return berth_fail(err, "out of memory");
	if (give_stdio_to(u ? u->uid : 0, err) < 0 || lsm_apply(p, err) < 0)
		return -1;

	if (caps_drop_bounding(&plan, err) < 0)
		return -1;
	/* Only a switch from uid 0 to another uid clears the permitted set; for uid 0 there is
	 * nothing to keep (capabilities(7), "Effect of user ID changes on capabilities"). */
	keepcaps = u && u->uid != 0;
	if (keepcaps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_fail_errno(err, errno, "prctl(PR_SET_KEEPCAPS)");
	if (switch_user(u, err) < 0)
		return -1;
	if (keepcaps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berth_fail_errno(err, errno, "prctl(PR_SET_KEEPCAPS)");
	/* Without noNewPrivileges, loading seccomp needs CAP_SYS_ADMIN: keep it until then. */
	if (c->seccomp && !p->no_new_privileges && !(plan.effective & CAP_BIT(CAP_SYS_ADMIN)))
		extra = CAP_BIT(CAP_SYS_ADMIN);
	if (caps_set(&plan, extra, err) < 0)
		return -1;
	if (!cwd_done && change_dir(p->cwd, err) < 0)
		return -1;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_fail_errno(err, errno, "process.noNewPrivileges");
	umask(u && u->has_umask ? u->umask : 022);

	if (find_executable(p, &exe, err) < 0)
		return -1;
	if (home && (home_var = env_entry("HOME", home)) == NULL)
		return berth_fail(err, "out of memory");
	argv = build_vector(p->args, p->args_len, NULL);
	envp = build_vector(p->env, p->env_len, home_var);
	if (argv == NULL || envp == NULL)
		return berth_fail(err, "out of memory");
	if (seccomp_load_filter(c, err) < 0 || (extra && caps_set(&plan, 0, err) < 0))
		return -1;
	execve(exe, argv, envp);
	e = errno;
	return exec_fail(err, e, "exec %s: %s", exe, go_strerror(e, ebuf, sizeof(ebuf)));
}
