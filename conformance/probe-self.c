/*
 * probe-self: report what the kernel says about the calling process — ids, capabilities,
 * rlimits, namespaces, mounts, cgroup, scheduling and so on — as members of the probe's JSON
 * object. Every value is observed (a syscall or a /proc file), never derived from config.json.
 * It must never change what it reports on: read-only calls only (umask comes from
 * /proc/self/status rather than umask(2), which would set it).
 */
#include "config.h"

#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

#define NAME_OR_NULL(table, i) ((size_t)(i) < sizeof(table) / sizeof(table[0]) ? table[i] : NULL)

/* The runtime-spec spells capabilities, rlimits and policies with these kernel names. */
static const char *const capability_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *const rlimit_names[] = {
	"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
	"RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
	"RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO",
	"RLIMIT_RTTIME",
};

static const char *const sched_policy_names[] = {
	"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", NULL, "SCHED_IDLE", "SCHED_DEADLINE",
};

static const char *const sched_flag_names[] = {
	"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
	"SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
	"SCHED_FLAG_UTIL_CLAMP_MAX",
};

static const char *const ioprio_class_names[] = {
	"IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE",
};

static const char *const mempolicy_mode_names[] = {
	"MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
	"MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE",
};

/* The kernel's struct sched_attr (include/uapi/linux/sched/types.h); glibc 2.36 has none. */
struct probe_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

#define PROBE_MPOL_F_NUMA_BALANCING (1 << 13)
#define PROBE_MPOL_F_RELATIVE_NODES (1 << 14)
#define PROBE_MPOL_F_STATIC_NODES (1 << 15)
#define PROBE_MAX_NUMA_NODES 1024

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The value of "Name:\tvalue" in /proc/self/status, without surrounding blanks. */
static int status_field(const char *status, const char *name, const char **value, size_t *len)
{
	size_t name_len = strlen(name);
	const char *line = status;

	while (*line) {
		const char *end = strchrnul(line, '\n');
		if (strncmp(line, name, name_len) == 0 && line[name_len] == ':') {
			const char *v = line + name_len + 1;
			v += strspn(v, " \t");
			while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			*value = v;
			*len = (size_t)(end - v);
			return 0;
		}
		line = *end ? end + 1 : end;
	}
	return -ENOENT;
}

/* Writes the field as a number in the given base, or null when the kernel lacks it. */
static void write_status_number(struct probe *p, const char *status, const char *key,
				const char *field, int base)
{
	const char *v;
	size_t len;
	char *end;

	jsonw_key(&p->out, key);
	if (status == NULL || status_field(status, field, &v, &len) < 0) {
		jsonw_null(&p->out);
		return;
	}
	errno = 0;
	long long n = strtoll(v, &end, base);
	if (errno != 0 || end != v + len) {
		jsonw_null(&p->out);
		probe_error(p, field, EINVAL);
		return;
	}
	jsonw_int(&p->out, n);
}

static void write_status_string(struct probe *p, const char *status, const char *key, const char *field)
{
	const char *v;
	size_t len;

	jsonw_key(&p->out, key);
	if (status == NULL || status_field(status, field, &v, &len) < 0)
		jsonw_null(&p->out);
	else
		jsonw_string_n(&p->out, v, len);
}

static void write_capability_set(struct probe *p, const char *status, const char *key, const char *field)
{
	const char *v;
	size_t len;
	char hex[17];
	char *end;

	jsonw_key(&p->out, key);
	if (status == NULL || status_field(status, field, &v, &len) < 0 || len == 0 || len >= sizeof(hex)) {
		jsonw_null(&p->out);
		return;
	}
	memcpy(hex, v, len);
	hex[len] = '\0';
	uint64_t bits = strtoull(hex, &end, 16);
	if (*end != '\0') {
		jsonw_null(&p->out);
		probe_error(p, field, EINVAL);
		return;
	}
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "hex");
	jsonw_string(&p->out, hex);
	jsonw_key(&p->out, "names");
	jsonw_array_open(&p->out);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(bits & (UINT64_C(1) << bit)))
			continue;
		const char *name = NAME_OR_NULL(capability_names, bit);
		if (name) {
			jsonw_string(&p->out, name);
		} else {
			char unknown[32];
			snprintf(unknown, sizeof(unknown), "CAP_UNKNOWN_%u", bit);
			jsonw_string(&p->out, unknown);
		}
	}
	jsonw_array_close(&p->out);
	jsonw_object_close(&p->out);
}

static void write_status(struct probe *p)
{
	char *status = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/status", 1 << 20, &status, &len);

	if (r < 0)
		probe_error(p, "/proc/self/status", -r);

	/* Reading the umask with umask(2) would change it; the kernel shows it here since 4.7. */
	write_status_number(p, status, "umask", "Umask", 8);

	jsonw_key(&p->out, "capabilities");
	jsonw_object_open(&p->out);
	write_capability_set(p, status, "inheritable", "CapInh");
	write_capability_set(p, status, "permitted", "CapPrm");
	write_capability_set(p, status, "effective", "CapEff");
	write_capability_set(p, status, "bounding", "CapBnd");
	write_capability_set(p, status, "ambient", "CapAmb");
	jsonw_object_close(&p->out);

	write_status_number(p, status, "no_new_privs", "NoNewPrivs", 10);
	jsonw_key(&p->out, "seccomp");
	jsonw_object_open(&p->out);
	write_status_number(p, status, "mode", "Seccomp", 10);
	write_status_number(p, status, "filters", "Seccomp_filters", 10);
	jsonw_object_close(&p->out);

	write_status_string(p, status, "cpus_allowed_list", "Cpus_allowed_list");
	write_status_string(p, status, "mems_allowed_list", "Mems_allowed_list");
	free(status);
}

static void write_ids(struct probe *p)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	/* Both calls cannot fail for the calling process with valid pointers. */
	getresuid(&ruid, &euid, &suid);
	getresgid(&rgid, &egid, &sgid);
	jsonw_key(&p->out, "uid");
	jsonw_uint(&p->out, ruid);
	jsonw_key(&p->out, "euid");
	jsonw_uint(&p->out, euid);
	jsonw_key(&p->out, "suid");
	jsonw_uint(&p->out, suid);
	jsonw_key(&p->out, "gid");
	jsonw_uint(&p->out, rgid);
	jsonw_key(&p->out, "egid");
	jsonw_uint(&p->out, egid);
	jsonw_key(&p->out, "sgid");
	jsonw_uint(&p->out, sgid);

	jsonw_key(&p->out, "groups");
	int n = getgroups(0, NULL);
	gid_t *groups = n > 0 ? calloc((size_t)n, sizeof(*groups)) : NULL;
	if (n > 0 && groups != NULL)
		n = getgroups(n, groups);
	if (n < 0 || (n > 0 && groups == NULL)) {
		probe_error(p, "getgroups", n < 0 ? errno : ENOMEM);
		jsonw_null(&p->out);
	} else {
		jsonw_array_open(&p->out);
		for (int i = 0; i < n; i++)
			jsonw_uint(&p->out, groups[i]);
		jsonw_array_close(&p->out);
	}
	free(groups);

	jsonw_key(&p->out, "pid");
	jsonw_int(&p->out, getpid());
	jsonw_key(&p->out, "ppid");
	jsonw_int(&p->out, getppid());
	jsonw_key(&p->out, "pgid");
	jsonw_int(&p->out, getpgid(0));
	jsonw_key(&p->out, "sid");
	jsonw_int(&p->out, getsid(0));
}

/* tty_nr of /proc/self/stat: the controlling terminal, or null when there is none. */
static void write_controlling_tty(struct probe *p)
{
	char *stat = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/stat", 4096, &stat, &len);
	unsigned long long tty_nr;

	jsonw_key(&p->out, "controlling_tty");
	if (r < 0) {
		probe_error(p, "/proc/self/stat", -r);
		jsonw_null(&p->out);
		return;
	}
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	const char *after_comm = strrchr(stat, ')');
	if (after_comm == NULL || sscanf(after_comm + 1, " %*c %*d %*d %*d %llu", &tty_nr) != 1) {
		probe_error(p, "/proc/self/stat", EINVAL);
		jsonw_null(&p->out);
	} else if (tty_nr == 0) {
		jsonw_null(&p->out);
	} else {
		jsonw_object_open(&p->out);
		jsonw_key(&p->out, "major");
		jsonw_uint(&p->out, (tty_nr >> 8) & 0xfff);
		jsonw_key(&p->out, "minor");
		jsonw_uint(&p->out, (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
		jsonw_object_close(&p->out);
	}
	free(stat);
}

static void write_string_array(struct probe *p, const char *key, char **strings, int n)
{
	jsonw_key(&p->out, key);
	jsonw_array_open(&p->out);
	for (int i = 0; strings != NULL && (n < 0 ? strings[i] != NULL : i < n); i++)
		jsonw_string(&p->out, strings[i]);
	jsonw_array_close(&p->out);
}

static void write_cwd_and_uts(struct probe *p)
{
	char cwd[PATH_MAX];
	struct utsname uts;

	/* A cwd outside the root (a leaked fd, CVE-2024-21626) makes getcwd fail with ENOENT. */
	jsonw_key(&p->out, "cwd");
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		probe_error(p, "getcwd", errno);
		jsonw_null(&p->out);
	} else {
		jsonw_string(&p->out, cwd);
	}

	uname(&uts);
	jsonw_key(&p->out, "hostname");
	jsonw_string(&p->out, uts.nodename);
	jsonw_key(&p->out, "domainname");
	jsonw_string(&p->out, uts.domainname);
}

static void write_rlimits(struct probe *p)
{
	jsonw_key(&p->out, "rlimits");
	jsonw_object_open(&p->out);
	for (int i = 0; i < (int)(sizeof(rlimit_names) / sizeof(rlimit_names[0])); i++) {
		struct rlimit rl;
		if (getrlimit(i, &rl) < 0) {
			probe_error(p, rlimit_names[i], errno);
			continue;
		}
		jsonw_key(&p->out, rlimit_names[i]);
		jsonw_object_open(&p->out);
		jsonw_key(&p->out, "soft");
		jsonw_uint(&p->out, rl.rlim_cur);
		jsonw_key(&p->out, "hard");
		jsonw_uint(&p->out, rl.rlim_max);
		jsonw_object_close(&p->out);
	}
	jsonw_object_close(&p->out);
}

/*
 * Names in a /proc directory, sorted, without "." and "..": a NULL-terminated array the caller
 * frees with free_names(), or NULL with errno set. *dir stays open for readlinkat() and the
 * caller closes it; its fd appears in /proc/self/fd's own listing.
 */
static char **list_directory(const char *path, DIR **dir, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	*dir = opendir(path);
	if (*dir == NULL)
		return NULL;
	while ((errno = 0, de = readdir(*dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof(*names));
			if (grown == NULL)
				goto fail;
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			goto fail;
		names[++n] = NULL;
	}
	if (errno != 0)
		goto fail;
	if (names == NULL && (names = calloc(1, sizeof(*names))) == NULL)
		goto fail;
	qsort(names, n, sizeof(*names), compare_strings);
	*count = n;
	return names;
fail: {
	int err = errno ? errno : ENOMEM;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(*dir);
	*dir = NULL;
	errno = err;
	return NULL;
}
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void write_namespaces(struct probe *p)
{
	DIR *dir;
	size_t n;
	char **names = list_directory("/proc/self/ns", &dir, &n);

	jsonw_key(&p->out, "namespaces");
	if (names == NULL) {
		probe_error(p, "/proc/self/ns", errno);
		jsonw_null(&p->out);
		return;
	}
	jsonw_object_open(&p->out);
	for (size_t i = 0; i < n; i++) {
		char target[PATH_MAX];
		ssize_t len = readlinkat(dirfd(dir), names[i], target, sizeof(target));
		jsonw_key(&p->out, names[i]);
		if (len < 0 || (size_t)len >= sizeof(target)) {
			probe_error(p, "/proc/self/ns", len < 0 ? errno : ENAMETOOLONG);
			jsonw_null(&p->out);
		} else {
			jsonw_string_n(&p->out, target, (size_t)len);
		}
	}
	jsonw_object_close(&p->out);
	closedir(dir);
	free_names(names, n);
}

/* Open file descriptors and what they point at, the listing's own fd left out. */
static void write_fds(struct probe *p)
{
	DIR *dir;
	size_t n;
	char **names = list_directory("/proc/self/fd", &dir, &n);

	jsonw_key(&p->out, "fds");
	if (names == NULL) {
		probe_error(p, "/proc/self/fd", errno);
		jsonw_null(&p->out);
		return;
	}
	int *fds = calloc(n + 1, sizeof(*fds));
	size_t n_fds = 0;
	if (fds == NULL) {
		probe_error(p, "/proc/self/fd", ENOMEM);
		jsonw_null(&p->out);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int fd = atoi(names[i]);
		if (fd != dirfd(dir))
			fds[n_fds++] = fd;
	}
	qsort(fds, n_fds, sizeof(*fds), compare_ints);
	jsonw_object_open(&p->out);
	for (size_t i = 0; i < n_fds; i++) {
		char name[16], target[PATH_MAX];
		snprintf(name, sizeof(name), "%d", fds[i]);
		ssize_t len = readlinkat(dirfd(dir), name, target, sizeof(target));
		jsonw_key(&p->out, name);
		if (len < 0 || (size_t)len >= sizeof(target))
			jsonw_null(&p->out); /* closed since the listing, or not a link we can read */
		else
			jsonw_string_n(&p->out, target, (size_t)len);
	}
	jsonw_object_close(&p->out);
out:
	free(fds);
	closedir(dir);
	free_names(names, n);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void write_comma_list(struct probe *p, const char *key, char *list)
{
	jsonw_key(&p->out, key);
	jsonw_array_open(&p->out);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		jsonw_string(&p->out, tok);
	jsonw_array_close(&p->out);
}

/*
 * One mountinfo line (proc(5)): id parent major:minor root mount-point options [optional...] -
 * fstype source super-options. Returns -EINVAL on a line of another shape.
 */
static int write_mount(struct probe *p, char *line)
{
	char *field[64];
	int n = 0, dash = -1;

	for (char *save = NULL, *tok = strtok_r(line, " ", &save); tok && n < 64; tok = strtok_r(NULL, " ", &save)) {
		if (dash < 0 && n >= 6 && strcmp(tok, "-") == 0)
			dash = n;
		field[n++] = tok;
	}
	if (dash < 0 || n < dash + 3)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		unescape_octal(field[i]);

	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "id");
	jsonw_int(&p->out, atoi(field[0]));
	jsonw_key(&p->out, "parent");
	jsonw_int(&p->out, atoi(field[1]));
	jsonw_key(&p->out, "dev");
	jsonw_string(&p->out, field[2]);
	jsonw_key(&p->out, "root");
	jsonw_string(&p->out, field[3]);
	jsonw_key(&p->out, "mount_point");
	jsonw_string(&p->out, field[4]);
	write_comma_list(p, "options", field[5]);
	/* shared:N, master:N, propagate_from:N, unbindable; none means private. */
	jsonw_key(&p->out, "propagation");
	jsonw_array_open(&p->out);
	for (int i = 6; i < dash; i++)
		jsonw_string(&p->out, field[i]);
	jsonw_array_close(&p->out);
	jsonw_key(&p->out, "fs_type");
	jsonw_string(&p->out, field[dash + 1]);
	jsonw_key(&p->out, "source");
	jsonw_string(&p->out, field[dash + 2]);
	if (n > dash + 3)
		write_comma_list(p, "super_options", field[dash + 3]);
	jsonw_object_close(&p->out);
	return 0;
}

static void write_mounts(struct probe *p)
{
	char *info = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/mountinfo", 64 << 20, &info, &len);

	jsonw_key(&p->out, "mounts");
	if (r < 0) {
		probe_error(p, "/proc/self/mountinfo", -r);
		jsonw_null(&p->out);
		return;
	}
	jsonw_array_open(&p->out);
	for (char *save = NULL, *line = strtok_r(info, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (write_mount(p, line) < 0)
			probe_error(p, "/proc/self/mountinfo", EINVAL);
	}
	jsonw_array_close(&p->out);
	free(info);
}

static void write_oom_score_adj(struct probe *p)
{
	char *text = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/oom_score_adj", 64, &text, &len);

	jsonw_key(&p->out, "oom_score_adj");
	if (r < 0) {
		probe_error(p, "/proc/self/oom_score_adj", -r);
		jsonw_null(&p->out);
		return;
	}
	jsonw_int(&p->out, strtol(text, NULL, 10));
	free(text);
}

/* /proc/self/cgroup: "hierarchy-id:controller,list:path" a line; the path may hold colons. */
static void write_cgroups(struct probe *p)
{
	char *text = NULL;
	size_t len;
	int r = probe_read_file("/proc/self/cgroup", 1 << 20, &text, &len);

	jsonw_key(&p->out, "cgroup");
	if (r < 0) {
		probe_error(p, "/proc/self/cgroup", -r);
		jsonw_null(&p->out);
		return;
	}
	jsonw_array_open(&p->out);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *controllers = strchr(line, ':');
		char *path = controllers ? strchr(controllers + 1, ':') : NULL;
		if (path == NULL) {
			probe_error(p, "/proc/self/cgroup", EINVAL);
			continue;
		}
		*controllers++ = '\0';
		*path++ = '\0';
		jsonw_object_open(&p->out);
		jsonw_key(&p->out, "id");
		jsonw_int(&p->out, atoi(line));
		write_comma_list(p, "controllers", controllers);
		jsonw_key(&p->out, "path");
		jsonw_string(&p->out, path);
		jsonw_object_close(&p->out);
	}
	jsonw_array_close(&p->out);
	free(text);
}

static void write_personality(struct probe *p)
{
	int persona = personality(0xffffffff); /* this value only queries */

	jsonw_key(&p->out, "personality");
	if (persona < 0) {
		probe_error(p, "personality", errno);
		jsonw_null(&p->out);
		return;
	}
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "domain");
	switch (persona & PER_MASK) {
	case PER_LINUX:
		jsonw_string(&p->out, "LINUX");
		break;
	case PER_LINUX32:
		jsonw_string(&p->out, "LINUX32");
		break;
	default:
		jsonw_int(&p->out, persona & PER_MASK);
	}
	jsonw_key(&p->out, "flags");
	jsonw_int(&p->out, persona & ~PER_MASK);
	jsonw_object_close(&p->out);
}

static void write_cpu_affinity(struct probe *p)
{
	cpu_set_t *set = NULL;
	size_t ncpus = 1024, size = 0;

	jsonw_key(&p->out, "cpu_affinity");
	/* The kernel refuses a mask smaller than its own CPU count; grow until it fits. */
	for (;;) {
		set = CPU_ALLOC(ncpus);
		size = CPU_ALLOC_SIZE(ncpus);
		if (set == NULL) {
			probe_error(p, "sched_getaffinity", ENOMEM);
			jsonw_null(&p->out);
			return;
		}
		if (sched_getaffinity(0, size, set) == 0)
			break;
		int err = errno;
		CPU_FREE(set);
		if (err != EINVAL || ncpus >= (1 << 20)) {
			probe_error(p, "sched_getaffinity", err);
			jsonw_null(&p->out);
			return;
		}
		ncpus *= 2;
	}
	jsonw_array_open(&p->out);
	for (size_t cpu = 0; cpu < ncpus; cpu++) {
		if (CPU_ISSET_S(cpu, size, set))
			jsonw_uint(&p->out, cpu);
	}
	jsonw_array_close(&p->out);
	CPU_FREE(set);
}

static void write_scheduler(struct probe *p)
{
	struct probe_sched_attr attr;

	memset(&attr, 0, sizeof(attr));
	jsonw_key(&p->out, "scheduler");
	if (syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) < 0) {
		probe_error(p, "sched_getattr", errno);
		jsonw_null(&p->out);
		return;
	}
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "policy");
	const char *policy = NAME_OR_NULL(sched_policy_names, attr.sched_policy);
	if (policy)
		jsonw_string(&p->out, policy);
	else
		jsonw_uint(&p->out, attr.sched_policy);
	jsonw_key(&p->out, "priority");
	jsonw_uint(&p->out, attr.sched_priority);
	jsonw_key(&p->out, "nice");
	jsonw_int(&p->out, attr.sched_nice);
	jsonw_key(&p->out, "flags");
	jsonw_array_open(&p->out);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!(attr.sched_flags & (UINT64_C(1) << bit)))
			continue;
		const char *name = NAME_OR_NULL(sched_flag_names, bit);
		if (name)
			jsonw_string(&p->out, name);
		else
			jsonw_uint(&p->out, UINT64_C(1) << bit);
	}
	jsonw_array_close(&p->out);
	jsonw_key(&p->out, "runtime");
	jsonw_uint(&p->out, attr.sched_runtime);
	jsonw_key(&p->out, "deadline");
	jsonw_uint(&p->out, attr.sched_deadline);
	jsonw_key(&p->out, "period");
	jsonw_uint(&p->out, attr.sched_period);
	jsonw_object_close(&p->out);
}

static void write_ioprio(struct probe *p)
{
	/* IOPRIO_WHO_PROCESS = 1; the value packs the class above bit 13 and the level below. */
	long prio = syscall(SYS_ioprio_get, 1, 0);

	jsonw_key(&p->out, "ioprio");
	if (prio < 0) {
		probe_error(p, "ioprio_get", errno);
		jsonw_null(&p->out);
		return;
	}
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "class");
	const char *class = NAME_OR_NULL(ioprio_class_names, prio >> 13);
	if (class)
		jsonw_string(&p->out, class);
	else
		jsonw_int(&p->out, prio >> 13);
	jsonw_key(&p->out, "priority");
	jsonw_int(&p->out, prio & 0x1fff);
	jsonw_object_close(&p->out);
}

static void write_mempolicy(struct probe *p)
{
	unsigned long nodes[PROBE_MAX_NUMA_NODES / (8 * sizeof(unsigned long))];
	int mode;

	memset(nodes, 0, sizeof(nodes));
	jsonw_key(&p->out, "mempolicy");
	if (syscall(SYS_get_mempolicy, &mode, nodes, (unsigned long)PROBE_MAX_NUMA_NODES, NULL, 0UL) < 0) {
		/* ENOSYS: a kernel built without NUMA; that is "no policy", not a failure to report. */
		if (errno != ENOSYS)
			probe_error(p, "get_mempolicy", errno);
		jsonw_null(&p->out);
		return;
	}
	int flags = mode & (PROBE_MPOL_F_STATIC_NODES | PROBE_MPOL_F_RELATIVE_NODES | PROBE_MPOL_F_NUMA_BALANCING);
	mode &= ~flags;
	jsonw_object_open(&p->out);
	jsonw_key(&p->out, "mode");
	const char *name = NAME_OR_NULL(mempolicy_mode_names, mode);
	if (name)
		jsonw_string(&p->out, name);
	else
		jsonw_int(&p->out, mode);
	jsonw_key(&p->out, "flags");
	jsonw_array_open(&p->out);
	if (flags & PROBE_MPOL_F_NUMA_BALANCING)
		jsonw_string(&p->out, "MPOL_F_NUMA_BALANCING");
	if (flags & PROBE_MPOL_F_RELATIVE_NODES)
		jsonw_string(&p->out, "MPOL_F_RELATIVE_NODES");
	if (flags & PROBE_MPOL_F_STATIC_NODES)
		jsonw_string(&p->out, "MPOL_F_STATIC_NODES");
	jsonw_array_close(&p->out);
	jsonw_key(&p->out, "nodes");
	jsonw_array_open(&p->out);
	for (unsigned node = 0; node < PROBE_MAX_NUMA_NODES; node++) {
		if (nodes[node / (8 * sizeof(unsigned long))] & (1UL << (node % (8 * sizeof(unsigned long)))))
			jsonw_uint(&p->out, node);
	}
	jsonw_array_close(&p->out);
	jsonw_object_close(&p->out);
}

void probe_self(struct probe *p, int argc, char **argv)
{
	write_string_array(p, "args", argv, argc);
	write_ids(p);
	write_controlling_tty(p);
	write_cwd_and_uts(p);
	write_status(p);
	write_rlimits(p);
	write_namespaces(p);
	write_mounts(p);
	write_string_array(p, "env", environ, -1);
	write_oom_score_adj(p);
	write_cgroups(p);
	write_personality(p);
	write_cpu_affinity(p);
	write_scheduler(p);
	write_ioprio(p);
	write_mempolicy(p);
	write_fds(p);
}
