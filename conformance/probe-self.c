/*
 * probe-self: report what the kernel says about the calling process — ids, capabilities,
 * rlimits, cwd, hostname, environment — as members of the probe's JSON object, and call the
 * other parts (probe-fs.c, probe-sched.c) in the order of the report. Every value is observed (a syscall or a /proc file), never derived from config.json.
 * It must never change what it reports on: read-only calls only (umask comes from
 * /proc/self/status rather than umask(2), which would set it).
 */
#include "config.h"

#include "probe.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* The runtime-spec spells capabilities and rlimits with these kernel names. */
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

void probe_self(struct probe *p, int argc, char **argv)
{
	write_string_array(p, "args", argv, argc);
	write_ids(p);
	write_controlling_tty(p);
	write_cwd_and_uts(p);
	write_status(p);
	write_rlimits(p);
	probe_write_namespaces(p);
	probe_write_mounts(p);
	write_string_array(p, "env", environ, -1);
	probe_write_oom_score_adj(p);
	probe_write_cgroups(p);
	probe_write_personality(p);
	probe_write_cpu_affinity(p);
	probe_write_scheduler(p);
	probe_write_ioprio(p);
	probe_write_mempolicy(p);
	probe_write_fds(p);
}
