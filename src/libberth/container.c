/*
 * The lifecycle: create, start, kill, delete, state, list, ps, pause/resume.
 * create validates the whole config before touching the system, and every failure after
 * that undoes what was done (init killed and reaped, cgroup removed, state dir removed).
 * Wording of errors follows runc where clients match on it ("does not exist",
 * "container not running", "cannot delete container ... that is not stopped").
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "hooks.h"
#include "lifecycle.h"
#include "netlink.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "spawn.h"
#include "state.h"
#include "sync.h"
#include "timestamp.h"
#include "util.h"

#define OCI_VERSION "1.3.0"

static const char *root_of(const struct berth_options *o)
{
	return o->root ? o->root : BERTH_DEFAULT_ROOT;
}

/* ---- config ----------------------------------------------------------------------- */

/* Any 1.x version is accepted (crun 1.8.1 wrongly rejects 1.1.0 and later). */
static int check_oci_version(const char *v, struct berth_error **err)
{
	const char *p = v;

	if (strncmp(p, "1.", 2) != 0)
		return berth_fail(err, "config.json: ociVersion: unsupported version '%s', expected 1.x",
				  v);
	p += 2;
	if (*p < '0' || *p > '9')
		return berth_fail(err, "config.json: ociVersion: malformed version '%s'", v);
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return berth_fail(err, "config.json: ociVersion: malformed version '%s'", v);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0' && *p != '-' && *p != '+')
		return berth_fail(err, "config.json: ociVersion: malformed version '%s'", v);
	return 0;
}

static int validate_config(struct berth_container *c, struct berth_error **err)
{
	struct oci_config *cfg = c->config;
	struct stat st;

	if (check_oci_version(cfg->oci_version, err) < 0)
		return -1;
	if (cfg->root == NULL || cfg->root->path == NULL)
		return berth_fail(err, "config.json: root.path: is required");
	if (cfg->process == NULL)
		return berth_fail(err, "config.json: process: is required to create a container");
	if (cfg->process->args_len == 0)
		return berth_fail(err, "config.json: process.args: must be a non-empty array");
	if (cfg->process->cwd[0] != '/')
		return berth_fail(err, "config.json: process.cwd: must be an absolute path, got '%s'",
				  cfg->process->cwd);
	if (stat(c->rootfs, &st) < 0)
		return berth_fail_errno(err, errno, "config.json: root.path: '%s'", c->rootfs);
	if (!S_ISDIR(st.st_mode))
		return berth_fail(err, "config.json: root.path: '%s' is not a directory", c->rootfs);
	if (rootfs_validate(cfg, err) < 0 || process_validate(cfg, cfg->process, err) < 0 ||
	    netlink_check_devices(cfg, err) < 0)
		return -1;
	return cfg->hooks ? hooks_check(cfg->hooks, err) : 0;
}

static void container_free(struct berth_container *c)
{
	free(c->id);
	free(c->bundle);
	free(c->rootfs);
	free(c->state_dir);
	oci_free(&oci_config_type, c->config);
	if (c->seccomp)
		seccomp_free(c->seccomp);
	if (c->cgroup)
		cgroup_free(c->cgroup);
	if (c->console_socket_fd >= 0)
		close(c->console_socket_fd);
}

/* Read <bundle>/config.json (kept in *raw to copy into the state dir) and resolve paths. */
static int load_bundle(struct berth_container *c, const char *id, const struct berth_options *o,
		       char **raw, size_t *raw_len, struct berth_error **err)
{
	_cleanup_free_ char *path = NULL;
	char *msg = NULL;
	void *cfg;

	c->id = strdup(id);
	c->bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (c->bundle == NULL)
		return berth_fail_errno(err, errno, "bundle '%s'", o->bundle ? o->bundle : ".");
	if (asprintf(&path, "%s/config.json", c->bundle) < 0)
		return berth_fail(err, "out of memory");
	if (oci_read_file(path, raw, raw_len, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	if (oci_parse(&oci_config_type, *raw, *raw_len, "config.json", &cfg, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	c->config = cfg;
	if (c->config->root && c->config->root->path) {
		const char *rp = c->config->root->path;
		if (rp[0] == '/')
			c->rootfs = strdup(rp);
		else if (asprintf(&c->rootfs, "%s/%s", c->bundle, rp) < 0)
			c->rootfs = NULL;
		if (c->rootfs == NULL)
			return berth_fail(err, "out of memory");
	}
	return 0;
}

/* ---- state ------------------------------------------------------------------------ */

static char *now_rfc3339(void)
{
	struct timespec ts;
	char buf[RFC3339_MAX];

	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format(buf, &ts, true);
	return strdup(buf);
}

/* The owner is whoever created the state directory, looked up only when a command shows
 * it. Read from /etc/passwd as runc does, not through NSS: berth is a static executable,
 * where NSS would load the host's shared libc modules. */
static char *owner_name(int dirfd)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	struct stat sb;
	FILE *f;

	if (fstat(dirfd, &sb) < 0 || (f = fopen("/etc/passwd", "re")) == NULL)
		return strdup("");
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &found) == 0 && found->pw_uid != sb.st_uid)
		found = NULL;
	fclose(f);
	return strdup(found ? found->pw_name : "");
}

static enum berth_status live_status(const struct berth_state *st)
{
	if (!process_alive(st->pid, st->pid_start_time))
		return STATUS_STOPPED;
	if (!st->started)
		return STATUS_CREATED;
	if (st->cgroup_path) {
		struct berth_cgroup *cg = NULL;
		bool frozen = false;
		if (cgroup_open(st->cgroup_path, &cg, NULL) == 0) {
			cgroup_is_frozen(cg, &frozen, NULL);
			cgroup_free(cg);
		}
		if (frozen)
			return STATUS_PAUSED;
	}
	return STATUS_RUNNING;
}

static int state_to_oci(int dirfd, const struct berth_state *st, enum berth_status status,
			struct oci_state **out)
{
	struct oci_state *s = calloc(1, sizeof(*s));
	size_t i;

	if (s == NULL)
		return -1;
	s->oci_version = strdup(st->oci_version);
	s->id = strdup(st->id);
	s->status = strdup(status_name(status));
	s->pid = status == STATUS_STOPPED ? 0 : st->pid;
	s->has_pid = true;
	s->bundle = strdup(st->bundle);
	s->rootfs = st->rootfs ? strdup(st->rootfs) : NULL;
	s->created = st->created ? strdup(st->created) : NULL;
	s->owner = owner_name(dirfd);
	for (i = 0; i < st->annotations.len; i++)
		if (oci_map_set(&s->annotations, st->annotations.keys[i],
				st->annotations.values[i]) < 0)
			break;
	if (!s->oci_version || !s->id || !s->status || !s->bundle || !s->owner) {
		oci_free(&oci_state_type, s);
		return -1;
	}
	*out = s;
	return 0;
}

/* The state hooks receive (runtime.md "State"). */
static char *hook_state_json(const struct berth_container *c, pid_t pid, const char *status)
{
	struct oci_state s = {
		.oci_version = (char *)OCI_VERSION, .id = c->id, .status = (char *)status,
		.pid = pid, .has_pid = pid > 0, .bundle = c->bundle,
		.annotations = c->config->annotations,
	};
	char *json = NULL, *msg = NULL;

	if (oci_generate(&oci_state_type, &s, false, &json, NULL, &msg) < 0)
		free(msg);
	return json;
}

static char *creating_state_json(struct berth_container *c, pid_t pid)
{
	return hook_state_json(c, pid, "creating");
}

static char *created_state_json(struct berth_container *c, pid_t pid)
{
	return hook_state_json(c, pid, "created");
}

static int run_runtime_hooks(struct berth_container *c, pid_t pid, struct berth_error **err)
{
	struct oci_hooks *h = c->config->hooks;
	_cleanup_free_ char *json = NULL;

	if (h == NULL || (h->prestart_len == 0 && h->create_runtime_len == 0))
		return 0;
	json = hook_state_json(c, pid, "creating");
	if (json == NULL)
		return berth_fail(err, "out of memory");
	if (hooks_run(h->prestart, h->prestart_len, "prestart", json, err) < 0)
		return -1;
	return hooks_run(h->create_runtime, h->create_runtime_len, "createRuntime", json, err);
}

static int write_pid_file(const char *path, pid_t pid, struct berth_error **err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	return write_file_atomic(AT_FDCWD, path, buf, n, err);
}

static int connect_console_socket(const char *path, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return berth_fail(err, "--console-socket: path too long: '%s'", path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_fail_errno(err, errno, "--console-socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return berth_fail_errno(err, e, "--console-socket: connect to '%s'", path);
	}
	return fd;
}

/* poststart and poststop hooks run after the fact; their failures are only warnings, and
 * the later hooks still run (runtime.md). */
enum late_hooks { POSTSTART, POSTSTOP };

static void run_hooks_warn(struct berth_container *c, pid_t pid, enum late_hooks which)
{
	const struct oci_hooks *h = c->config->hooks;
	struct oci_hook *hooks = NULL;
	size_t n = 0;
	char *json;

	if (h && which == POSTSTART) {
		hooks = h->poststart;
		n = h->poststart_len;
	} else if (h) {
		hooks = h->poststop;
		n = h->poststop_len;
	}
	if (n == 0)
		return;
	json = which == POSTSTART ? hook_state_json(c, pid, "running")
				  : hook_state_json(c, 0, "stopped");
	if (json)
		hooks_run_warn(hooks, n, which == POSTSTART ? "poststart" : "poststop", json);
	free(json);
}

/* Write state.json (and --pid-file) while the init sets itself up (spawn_steps.record). */
static int record_state(struct berth_container *c, int dirfd, pid_t pid, struct berth_error **err)
{
	struct berth_state st = {
		.oci_version = (char *)OCI_VERSION,
		.id = c->id,
		.pid = pid,
		.pid_start_time = process_start_time(pid),
		.bundle = c->bundle,
		.rootfs = c->rootfs,
		.created = now_rfc3339(),
		.cgroup_path = c->cgroup ? (char *)cgroup_path(c->cgroup) : NULL,
		.annotations = c->config->annotations,
	};
	int r;

	if (c->config->hooks) {
		st.poststart_hooks = c->config->hooks->poststart_len > 0;
		st.poststop_hooks = c->config->hooks->poststop_len > 0;
	}
	r = state_write(dirfd, &st, err);
	if (r == 0 && c->opts->pid_file)
		r = write_pid_file(c->opts->pid_file, pid, err);
	free(st.created);
	return r;
}

static const struct spawn_steps create_steps = {
	.record = record_state,
	.runtime_hooks = run_runtime_hooks,
	.state_json = creating_state_json,
	.created_json = created_state_json,
};

int container_create(const char *id, const struct berth_options *o, struct created_init *init,
		     struct berth_error **err)
{
	struct berth_container c = { .opts = o, .console_socket_fd = -1 };
	struct spawned sp = { .pid = 0, .pidfd = -1, .pty_master = -1 };
	_cleanup_free_ char *raw = NULL;
	_cleanup_close_ int dirfd = -1;
	const char *root = root_of(o);
	size_t raw_len = 0;
	bool dir_taken = false;
	int r = -1;

	if (state_check_id(id, err) < 0)
		return -1;
	if (load_bundle(&c, id, o, &raw, &raw_len, err) < 0 || validate_config(&c, err) < 0)
		goto out;
	if (c.config->process->terminal && o->console_socket == NULL && init == NULL) {
		berth_fail(err, "config.json: process.terminal: true needs --console-socket for "
				"create (or use run)");
		goto out;
	}
	if (!c.config->process->terminal && o->console_socket) {
		berth_fail(err, "--console-socket given but config.json process.terminal is false");
		goto out;
	}
	if (seccomp_compile(&c, err) < 0)
		goto out;
	if ((dirfd = state_dir_create(root, id, &c.state_dir, err)) < 0)
		goto out;
	dir_taken = true;
	if (write_file_atomic(dirfd, STATE_CONFIG_FILE, raw, raw_len, err) < 0)
		goto out;
	if (o->console_socket &&
	    (c.console_socket_fd = connect_console_socket(o->console_socket, err)) < 0)
		goto out;
	if (cgroup_create(&c, err) < 0)
		goto out;
	if (spawn_init(&c, dirfd, &create_steps, init && init->start, &sp, err) < 0)
		goto out;
	r = 0;
	/* run: the process has started; its poststart hooks come from the config in memory. */
	if (init && init->start)
		run_hooks_warn(&c, sp.pid, POSTSTART);
	if (init) {
		init->pid = sp.pid;
		init->pidfd = steal_fd(&sp.pidfd);
		init->pty_master = steal_fd(&sp.pty_master);
	}
out:
	if (sp.pidfd >= 0)
		close(sp.pidfd);
	if (sp.pty_master >= 0)
		close(sp.pty_master);
	if (r < 0) {
		if (c.cgroup)
			cgroup_destroy(c.cgroup, NULL);
		if (dir_taken)
			state_dir_remove(root, id, NULL);
	}
	container_free(&c);
	return r;
}

/* ---- commands on an existing container ---------------------------------------------- */

struct existing {
	int dirfd;
	struct berth_state *st;
	enum berth_status status;
};

static int open_existing(const char *id, const struct berth_options *o, struct existing *e,
			 struct berth_error **err)
{
	e->st = NULL;
	e->dirfd = state_dir_open(root_of(o), id, NULL, err);
	if (e->dirfd < 0)
		return -1;
	if (state_read(e->dirfd, &e->st, err) < 0) {
		close(e->dirfd);
		e->dirfd = -1;
		return -1;
	}
	e->status = live_status(e->st);
	return 0;
}

static void close_existing(struct existing *e)
{
	if (e->dirfd >= 0)
		close(e->dirfd);
	state_free(e->st);
	e->st = NULL;
	e->dirfd = -1;
}

static int connect_start_socket(int dirfd, struct berth_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char path[64];
	int fd;

	/* Through /proc/self/fd so the full path never has to fit in sun_path. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_START_SOCKET, dirfd);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_fail_errno(err, errno, "start");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		close(fd);
		return berth_fail_errno(err, e, "connect to the container init");
	}
	return fd;
}

static int start_locked(const char *id, struct existing *e, struct berth_error **err)
{
	enum sync_type type;
	int errnum, fd, r;
	_cleanup_close_ int conn = -1;
	char *text;

	switch (e->status) {
	case STATUS_CREATED:
		break;
	case STATUS_STOPPED:
		return berth_fail(err, "cannot start a container that has stopped");
	default:
		return berth_fail(err, "cannot start an already running container");
	}
	if ((conn = connect_start_socket(e->dirfd, err)) < 0)
		return -1;
	if (send(conn, "s", 1, MSG_NOSIGNAL) != 1)
		return berth_fail_errno(err, errno, "start container '%s'", id);
	/* The mark that start happened (state_read); no other command can race: we hold the lock. */
	if (unlinkat(e->dirfd, STATE_START_SOCKET, 0) < 0)
		return berth_fail_errno(err, errno, "start container '%s': remove %s", id,
					STATE_START_SOCKET);
	e->st->started = true;
	/* EOF: the init closed its end on execve. A message: the exec failed. */
	r = sync_recv(conn, &type, &errnum, &text, &fd);
	if (fd >= 0)
		close(fd);
	if (r == 1 && type == SYNC_ERROR)
		return berth_fail_take(err, errnum, text ? text : strdup("exec failed"));
	free(text);
	return 0;
}

/* For start and delete: the hooks come from the config copy in the state directory, read
 * only when state.json says it has such hooks. */
static void run_late_hooks(int dirfd, const struct berth_state *st, enum late_hooks which)
{
	struct berth_container c = { .id = st->id, .bundle = st->bundle };
	char path[64], *msg = NULL;
	struct oci_config *cfg;

	if (!(which == POSTSTART ? st->poststart_hooks : st->poststop_hooks))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STATE_CONFIG_FILE, dirfd);
	if (oci_parse_file(&oci_config_type, path, (void **)&cfg, &msg) < 0) {
		free(msg);
		return;
	}
	c.config = cfg;
	run_hooks_warn(&c, (pid_t)st->pid, which);
	oci_free(&oci_config_type, cfg);
}

int container_start(const char *id, const struct berth_options *o, struct berth_error **err)
{
	struct existing e;
	int r;

	if (open_existing(id, o, &e, err) < 0)
		return -1;
	r = start_locked(id, &e, err);
	if (r == 0)
		run_late_hooks(e.dirfd, e.st, POSTSTART);
	close_existing(&e);
	return r;
}

int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = {
		{ "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },
		{ "ILL", SIGILL },     { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
		{ "IOT", SIGIOT },     { "BUS", SIGBUS },       { "FPE", SIGFPE },
		{ "KILL", SIGKILL },   { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
		{ "TERM", SIGTERM },   { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT },   { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },     { "URG", SIGURG },
		{ "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF },   { "WINCH", SIGWINCH },   { "IO", SIGIO },
		{ "POLL", SIGPOLL },   { "PWR", SIGPWR },       { "SYS", SIGSYS },
	};
	char *end;
	long n;
	size_t i;

	if (s[0] >= '0' && s[0] <= '9') {
		n = strtol(s, &end, 10);
		return (*end || n <= 0 || n > SIGRTMAX) ? -1 : (int)n;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].sig;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
		n = s[5] ? strtol(s + 5, &end, 10) : 0;
		if (s[5] && *end)
			return -1;
		n += base;
		return (n < SIGRTMIN || n > SIGRTMAX) ? -1 : (int)n;
	}
	return -1;
}

static int signal_pid(pid_t pid, int sig, struct berth_error **err)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	int r;

	if (pidfd < 0)
		return berth_fail_code(err, errno, "container not running");
	r = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
	close(pidfd);
	if (r < 0) {
		if (errno == ESRCH)
			return berth_fail_code(err, ESRCH, "container not running");
		return berth_fail_errno(err, errno, "kill");
	}
	return 0;
}

static int open_cgroup(const struct berth_state *st, struct berth_cgroup **cg,
		       struct berth_error **err)
{
	*cg = NULL;
	if (st->cgroup_path == NULL)
		return berth_fail(err, "container has no cgroup");
	return cgroup_open(st->cgroup_path, cg, err);
}

int container_kill(const char *id, const struct berth_options *o, int sig, bool all,
		   struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;
	struct existing e;
	int r;

	if (open_existing(id, o, &e, err) < 0)
		return -1;
	if (all) {
		r = open_cgroup(e.st, &cg, err);
		if (r == 0)
			r = cgroup_kill_all(cg, sig, err);
		cgroup_free(cg);
	} else if (e.status == STATUS_STOPPED) {
		r = berth_fail_code(err, ESRCH, "container not running");
	} else {
		r = signal_pid(e.st->pid, sig, err);
		/* On cgroup v1 a frozen init acts on SIGKILL only once thawed. */
		if (r == 0 && sig == SIGKILL && e.status == STATUS_PAUSED &&
		    open_cgroup(e.st, &cg, NULL) == 0)
			cgroup_freeze(cg, false, NULL);
		cgroup_free(cg);
	}
	close_existing(&e);
	return r;
}

/* Wait until pid is gone (it is not our child: poll its pidfd). */
static void wait_gone(pid_t pid, int timeout_ms)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd;

	if (pidfd < 0)
		return;
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	poll(&pfd, 1, timeout_ms);
	close(pidfd);
}

int container_delete(const char *id, const struct berth_options *o, bool force,
		     struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;
	struct existing e;
	int r = 0;

	if (open_existing(id, o, &e, err) < 0) {
		/* delete --force of a container that is already gone succeeds (containerd). */
		if (force && (*err)->errnum == ENOENT) {
			berth_error_free(*err);
			*err = NULL;
			if (e.dirfd < 0)
				return state_dir_remove(root_of(o), id, err);
		}
		return -1;
	}
	if ((e.status == STATUS_RUNNING || e.status == STATUS_PAUSED) && !force) {
		r = berth_fail(err, "cannot delete container %s that is not stopped: %s", id,
			       status_name(e.status));
		goto out;
	}
	if (e.st->cgroup_path)
		cgroup_open(e.st->cgroup_path, &cg, NULL);
	if (e.status != STATUS_STOPPED) {
		if (cg) {
			if (e.status == STATUS_PAUSED)
				cgroup_freeze(cg, false, NULL);
			cgroup_kill_all(cg, SIGKILL, NULL);
		}
		signal_pid(e.st->pid, SIGKILL, NULL);
		wait_gone(e.st->pid, 10000);
	}
	run_late_hooks(e.dirfd, e.st, POSTSTOP);
	if (cg && cgroup_destroy(cg, err) < 0) {
		r = -1;
		goto out;
	}
	r = state_dir_remove(root_of(o), id, err);
out:
	cgroup_free(cg);
	close_existing(&e);
	return r;
}

int container_state(const char *id, const struct berth_options *o, struct oci_state **out,
		    struct berth_error **err)
{
	struct existing e;
	int r;

	if (open_existing(id, o, &e, err) < 0)
		return -1;
	r = state_to_oci(e.dirfd, e.st, e.status, out);
	if (r < 0)
		berth_fail(err, "out of memory");
	close_existing(&e);
	return r;
}

int container_list(const struct berth_options *o, struct oci_state ***out, size_t *n,
		   struct berth_error **err)
{
	DIR *d = opendir(root_of(o));
	struct oci_state **list = NULL;
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : berth_fail_errno(err, errno, "open '%s'", root_of(o));
	while ((de = readdir(d))) {
		struct berth_error *ignored = NULL;
		struct oci_state *s;
		struct oci_state **grown;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		/* A container mid-create or mid-delete has no readable state: skip it. */
		if (container_state(de->d_name, o, &s, &ignored) < 0) {
			berth_error_free(ignored);
			continue;
		}
		grown = realloc(list, (*n + 1) * sizeof(*list));
		if (grown == NULL) {
			oci_free(&oci_state_type, s);
			break;
		}
		list = grown;
		list[(*n)++] = s;
	}
	closedir(d);
	*out = list;
	return 0;
}

int container_pids(const char *id, const struct berth_options *o, pid_t **pids, size_t *n,
		   struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;
	struct existing e;
	int r;

	*pids = NULL;
	*n = 0;
	if (open_existing(id, o, &e, err) < 0)
		return -1;
	if (e.status == STATUS_STOPPED) {
		close_existing(&e);
		return 0;
	}
	r = open_cgroup(e.st, &cg, err);
	if (r == 0)
		r = cgroup_pids(cg, pids, n, err);
	cgroup_free(cg);
	close_existing(&e);
	return r;
}

int container_pause(const char *id, const struct berth_options *o, bool pause,
		    struct berth_error **err)
{
	struct berth_cgroup *cg = NULL;
	struct existing e;
	int r;

	if (open_existing(id, o, &e, err) < 0)
		return -1;
	if (pause && e.status != STATUS_RUNNING)
		r = berth_fail(err, "container not running");
	else if (!pause && e.status != STATUS_PAUSED)
		r = berth_fail(err, "container not paused");
	else if ((r = open_cgroup(e.st, &cg, err)) == 0)
		r = cgroup_freeze(cg, pause, err);
	cgroup_free(cg);
	close_existing(&e);
	return r;
}
