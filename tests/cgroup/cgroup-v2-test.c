/*
 * The cgroup v2 driver checked from one process on a pure cgroup-v2 machine (the test VM,
 * tests/suites/35-cgroup-v2.sh): for each linux.resources field, cgroup_create() on a real
 * cgroup, the value read back from the kernel's files, and where it means something its
 * effect on a real process (OOM kill, fork limit, denied device, freezer, CLONE_INTO_CGROUP).
 * Prints "ok NAME" or "FAIL NAME: detail" per check and "N passed, N failed" last.
 * It must clean up every cgroup it makes, also when a check fails.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "ocispec.h"

static int passed, failed;
static struct berth_options opts;

static void result(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		passed++;
	} else {
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
		failed++;
	}
	fflush(stdout);
}

/* A container with `resources` (JSON text) and its cgroup, or NULL with *msg set. */
static struct berth_container *make(const char *id, const char *resources, char **msg)
{
	static struct berth_container c;
	char json[4096];
	char *perr = NULL;
	void *cfg;
	struct berth_error *err = NULL;

	snprintf(json, sizeof(json), "{\"ociVersion\":\"1.2.0\",\"linux\":{\"cgroupsPath\":"
				     "\"/berth-test/%s\",\"resources\":%s}}",
		 id, resources);
	memset(&c, 0, sizeof(c));
	c.id = (char *)id;
	c.opts = &opts;
	if (oci_parse(&oci_config_type, json, strlen(json), "config.json", &cfg, &perr) < 0) {
		*msg = perr;
		return NULL;
	}
	c.config = cfg;
	if (cgroup_create(&c, &err) < 0) {
		*msg = strdup(err->msg);
		berth_error_free(err);
		oci_free(&oci_config_type, cfg);
		return NULL;
	}
	*msg = NULL;
	return &c;
}

static void destroy(struct berth_container *c)
{
	struct berth_error *err = NULL;

	if (c == NULL)
		return;
	if (cgroup_kill_all(c->cgroup, SIGKILL, &err) < 0 || cgroup_destroy(c->cgroup, &err) < 0) {
		printf("# cleanup: %s\n", err->msg);
		berth_error_free(err);
	}
	cgroup_free(c->cgroup);
	oci_free(&oci_config_type, c->config);
}

static char *read_file(const char *id, const char *file)
{
	static char buf[4096];
	char path[512];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/fs/cgroup/berth-test/%s/%s", id, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return strcpy(buf, "<missing>");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Create, compare each "file=value" pair, destroy. */
static void check_values(const char *name, const char *resources, const char *const *expect)
{
	char *msg;
	struct berth_container *c = make(name, resources, &msg);

	if (c == NULL) {
		result(name, false, "create: %s", msg);
		free(msg);
		return;
	}
	for (size_t i = 0; expect[i]; i += 2) {
		const char *got = read_file(name, expect[i]);
		char label[256];

		snprintf(label, sizeof(label), "%s_%s", name, expect[i]);
		result(label, strcmp(got, expect[i + 1]) == 0, "expected '%s', got '%s'",
		       expect[i + 1], got);
	}
	destroy(c);
}

static void check_refused(const char *name, const char *resources, const char *needle)
{
	char *msg;
	struct berth_container *c = make(name, resources, &msg);
	char path[256];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/berth-test/%s", name);
	if (c) {
		result(name, false, "create succeeded");
		destroy(c);
		return;
	}
	result(name, strstr(msg, needle) != NULL && access(path, F_OK) != 0,
	       "error '%s' (want '%s'), cgroup left: %s", msg, needle,
	       access(path, F_OK) == 0 ? "yes" : "no");
	free(msg);
}

/* Run `sh -c script` cloned straight into the cgroup; returns its wait status. */
static int run_in(struct berth_container *c, const char *script, pid_t *out_pid, bool wait_it)
{
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD,
				   .cgroup = (uint64_t)cgroup_clone_fd(c->cgroup) };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	int st = -1;

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	if (out_pid)
		*out_pid = pid;
	if (pid > 0 && wait_it)
		waitpid(pid, &st, 0);
	return st;
}

static void test_clone_into_cgroup(void)
{
	char *msg;
	struct berth_container *c = make("clone", "{}", &msg);
	int st;

	if (c == NULL) {
		result("clone_into_cgroup", false, "create: %s", msg);
		return;
	}
	st = run_in(c, "grep -qx '0::/berth-test/clone' /proc/self/cgroup", NULL, true);
	result("clone_into_cgroup_places_the_child", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %d, cgroup_clone_fd %d", st, cgroup_clone_fd(c->cgroup));
	destroy(c);
}

static void test_oom(void)
{
	char *msg;
	struct berth_container *c = make("oom", "{\"memory\":{\"limit\":16777216,\"swap\":16777216}}",
					 &msg);
	struct berth_error *err = NULL;
	uint64_t kills = 0;
	int st, fd;

	if (c == NULL) {
		result("memory_hog_is_oom_killed", false, "create: %s", msg);
		return;
	}
	fd = cgroup_oom_watch(c->cgroup, &err);
	st = run_in(c, "head -c 100000000 /dev/zero | tail", NULL, true);
	if (fd >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 5000) > 0)
			cgroup_oom_read(c->cgroup, &kills, &err);
	}
	{
		const char *events = read_file("oom", "memory.events");
		const char *line = strstr(events, "oom_kill ");

		result("memory_hog_is_oom_killed",
		       WIFEXITED(st) && WEXITSTATUS(st) == 137 && line && atoi(line + 9) >= 1,
		       "status %d, memory.events '%s'", st, events);
	}
	result("oom_kill_is_reported", kills >= 1, "kills %llu (%s)", (unsigned long long)kills,
	       err ? err->msg : "");
	destroy(c);
}

static void test_pids(void)
{
	char *msg;
	struct berth_container *c = make("pids", "{\"pids\":{\"limit\":8}}", &msg);
	int st;

	if (c == NULL) {
		result("fork_bomb_stops_at_pids_max", false, "create: %s", msg);
		return;
	}
	/* The shell gives up ("Cannot fork") once the kernel refuses a fork at pids.max. */
	st = run_in(c, "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sleep 2 & done", NULL,
		    true);
	{
		const char *events = read_file("pids", "pids.events");
		const char *line = strstr(events, "max ");

		result("fork_bomb_stops_at_pids_max",
		       WIFEXITED(st) && WEXITSTATUS(st) != 0 && line && atoi(line + 4) >= 1,
		       "status %d, pids.events '%s'", st, events);
	}
	destroy(c);
}

static void test_devices(void)
{
	char *msg;
	struct berth_container *c = make(
		"devices",
		"{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
		"{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":7,\"access\":\"r\"}]}",
		&msg);
	int st;

	if (c == NULL) {
		result("denied_device_cannot_be_opened", false, "create: %s", msg);
		return;
	}
	/* /dev/kmsg (1:11) is denied; /dev/null is a default; /dev/full (1:7) read only. */
	st = run_in(c, "! head -c1 /dev/kmsg >/dev/null 2>&1", NULL, true);
	result("denied_device_cannot_be_opened", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %d", st);
	st = run_in(c, "echo x >/dev/null && head -c1 /dev/full >/dev/null", NULL, true);
	result("allowed_devices_can_be_opened", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %d", st);
	st = run_in(c, "! sh -c 'echo x >/dev/full' 2>/dev/null", NULL, true);
	result("read_only_rule_denies_write", WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "status %d", st);
	destroy(c);
}

static void test_freeze_and_kill(void)
{
	char *msg;
	struct berth_container *c = make("freeze", "{}", &msg);
	struct berth_error *err = NULL;
	pid_t pid;
	bool frozen = false;
	char state = '?', path[64], buf[512];
	int fd, st;

	if (c == NULL) {
		result("paused_container_is_frozen", false, "create: %s", msg);
		return;
	}
	run_in(c, "while :; do :; done", &pid, false);
	usleep(200000);
	if (cgroup_freeze(c->cgroup, true, &err) == 0)
		cgroup_is_frozen(c->cgroup, &frozen, &err);
	result("paused_container_is_frozen",
	       frozen && strstr(read_file("freeze", "cgroup.events"), "frozen 1") != NULL,
	       "frozen %d, %s", frozen, err ? err->msg : read_file("freeze", "cgroup.events"));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
		if (strrchr(buf, ')'))
			state = strrchr(buf, ')')[2];
	}
	result("frozen_process_sleeps", state == 'S' || state == 'D', "state %c", state);
	cgroup_freeze(c->cgroup, false, &err);
	cgroup_is_frozen(c->cgroup, &frozen, &err);
	result("resumed_container_is_thawed", !frozen, "still frozen");
	cgroup_kill_all(c->cgroup, SIGKILL, &err);
	waitpid(pid, &st, 0);
	result("kill_all_kills_through_cgroup_kill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	       "status %d", st);
	destroy(c);
	result("destroy_removes_the_cgroup", access("/sys/fs/cgroup/berth-test/freeze", F_OK) != 0,
	       "still there");
}

static void test_update(void)
{
	char *msg, *perr = NULL;
	struct berth_container *c = make("update", "{\"memory\":{\"limit\":67108864}}", &msg);
	struct oci_resources *r = NULL;
	struct berth_error *err = NULL;
	const char *json = "{\"memory\":{\"limit\":33554432,\"swap\":50331648},"
			   "\"pids\":{\"limit\":5},\"cpu\":{\"shares\":2048}}";

	if (c == NULL) {
		result("update", false, "create: %s", msg);
		return;
	}
	if (oci_parse(&oci_linux_resources_type, json, strlen(json), "update", (void **)&r,
		      &perr) < 0 ||
	    cgroup_update(c->cgroup, r, &err) < 0) {
		result("update_applies_new_limits", false, "%s", perr ? perr : err->msg);
	} else {
		result("update_memory_max", strcmp(read_file("update", "memory.max"), "33554432") == 0,
		       "memory.max %s", read_file("update", "memory.max"));
		result("update_swap_max",
		       strcmp(read_file("update", "memory.swap.max"), "16777216") == 0,
		       "memory.swap.max %s", read_file("update", "memory.swap.max"));
		result("update_pids_max", strcmp(read_file("update", "pids.max"), "5") == 0,
		       "pids.max %s", read_file("update", "pids.max"));
		result("update_cpu_weight", strcmp(read_file("update", "cpu.weight"), "174") == 0,
		       "cpu.weight %s", read_file("update", "cpu.weight"));
	}
	oci_free(&oci_linux_resources_type, r);
	destroy(c);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/sys/fs/cgroup/berth-test", 0755);

	check_values("memory",
		     "{\"memory\":{\"limit\":33554432,\"reservation\":16777216,\"swap\":67108864}}",
		     (const char *const[]){ "memory.max", "33554432", "memory.low", "16777216",
					    "memory.swap.max", "33554432", NULL });
	check_values("memory_unlimited", "{\"memory\":{\"limit\":-1}}",
		     (const char *const[]){ "memory.max", "max", "memory.swap.max", "max", NULL });
	check_values("cpu",
		     "{\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"burst\":1000,"
		     "\"cpus\":\"0\",\"mems\":\"0\"}}",
		     (const char *const[]){ "cpu.weight", "100", "cpu.max", "50000 100000",
					    "cpu.max.burst", "1000", "cpuset.cpus", "0",
					    "cpuset.mems", "0", NULL });
	check_values("cpu_idle", "{\"cpu\":{\"idle\":1,\"shares\":512}}",
		     (const char *const[]){ "cpu.idle", "1", NULL });
	check_values("cpu_shares_2", "{\"cpu\":{\"shares\":2,\"quota\":-1}}",
		     (const char *const[]){ "cpu.weight", "1", "cpu.max", "max 100000", NULL });
	check_values("pids", "{\"pids\":{\"limit\":42}}",
		     (const char *const[]){ "pids.max", "42", NULL });
	check_values("blkio_weight", "{\"blockIO\":{\"weight\":500}}",
		     access("/sys/fs/cgroup/berth-test/io.bfq.weight", F_OK) == 0
			     ? (const char *const[]){ "io.bfq.weight", "default 500", NULL }
			     : (const char *const[]){ "io.weight", "default 4950", NULL });
	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) == 0)
		check_values("hugetlb", "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}",
			     (const char *const[]){ "hugetlb.2MB.max", "4194304",
						    "hugetlb.2MB.rsvd.max", "4194304", NULL });
	check_values("unified", "{\"unified\":{\"memory.high\":\"50003968\",\"pids.max\":\"7\"}}",
		     (const char *const[]){ "memory.high", "50003968", "pids.max", "7", NULL });
	{
		/* A throttled device: null_blk when the suite could load it. */
		FILE *f = fopen("/sys/block/nullb0/dev", "r");
		unsigned maj, min;

		if (f && fscanf(f, "%u:%u", &maj, &min) == 2) {
			char res[256], want[128];

			snprintf(res, sizeof(res),
				 "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,"
				 "\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":%u,"
				 "\"minor\":%u,\"rate\":100}]}}",
				 maj, min, maj, min);
			snprintf(want, sizeof(want), "%u:%u rbps=1048576 wbps=max riops=max wiops=100",
				 maj, min);
			check_values("io_max", res, (const char *const[]){ "io.max", want, NULL });
		} else {
			printf("# io_max skipped: no /sys/block/nullb0\n");
		}
		if (f)
			fclose(f);
	}

	check_refused("network_refused", "{\"network\":{\"classID\":1}}", "net_cls");
	check_refused("realtime_refused", "{\"cpu\":{\"realtimeRuntime\":1000}}", "realtime");
	check_refused("swap_below_limit_refused", "{\"memory\":{\"limit\":2000000,\"swap\":1000000}}",
		      "below the memory limit");
	check_refused("unified_path_escape_refused", "{\"unified\":{\"../cgroup.procs\":\"1\"}}",
		      "expected a file name");
	check_refused("unified_unknown_file_refused", "{\"unified\":{\"nosuch.file\":\"1\"}}",
		      "no such file");
	check_refused("failed_create_leaves_no_cgroup", "{\"cpu\":{\"cpus\":\"999\"}}",
		      "cpuset.cpus");

	test_clone_into_cgroup();
	test_oom();
	test_pids();
	test_devices();
	test_freeze_and_kill();
	test_update();

	rmdir("/sys/fs/cgroup/berth-test");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
