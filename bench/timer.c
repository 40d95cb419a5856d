/*
 * timer: the benchmark's command runner (bench/run). It reads commands from stdin, runs each one,
 * and writes one result line per command, so the measured time holds only the spawn, the command
 * and the wait — never the shell's own start-up.
 *
 * Input, one command a line, fields separated by tabs:
 *   TAG  NS  COUNT  ARGV0  ARGV1 ...
 *     NS     "host", or "nocg2": a private mount namespace, made once, in which the empty cgroup2
 *            mount /sys/fs/cgroup/unified is detached (crun 1.8.1 refuses hybrid hosts). Mounts
 *            are made private before the unmount, so the host never sees it.
 *     COUNT  how many copies to start at once (1 = one command); "{}" in an argument becomes the
 *            copy's index, so "c-{}" names 20 containers c-0 ... c-19.
 * Output, one line a command: TAG  WALL_NS  CPU_US  MAXRSS_KB  FAILED
 *   WALL_NS from before the first spawn to the last wait; CPU_US user+system time of the copies
 *   and of the descendants they waited for (wait4's rusage); MAXRSS_KB the largest of them;
 *   FAILED how many copies did not exit 0.
 * Commands get /dev/null as stdin and stdout; stderr is the timer's, for the caller's log.
 * SIGINT or SIGTERM stops it after the command under way has been waited for, so that no
 * runtime process is left running unseen while the caller cleans up.
 * It must never change the host: the only namespace it makes is its own private mount namespace.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 128
#define MAX_COPIES 256

extern char **environ;

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct mount_namespaces {
	int host;  /* the mount namespace the timer started in */
	int nocg2; /* the private one without /sys/fs/cgroup/unified, -1 until first needed */
	int current;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Make the nocg2 namespace: unshare, make every mount private, then detach the cgroup2 mount. */
static int make_nocg2_namespace(struct mount_namespaces *ns)
{
	if (unshare(CLONE_NEWNS) < 0) {
		fprintf(stderr, "timer: unshare(CLONE_NEWNS): %s\n", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "timer: make / private: %s\n", strerror(errno));
		return -1;
	}
	if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
		fprintf(stderr, "timer: umount /sys/fs/cgroup/unified: %s\n", strerror(errno));
		return -1;
	}
	ns->nocg2 = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (ns->nocg2 < 0) {
		fprintf(stderr, "timer: /proc/self/ns/mnt: %s\n", strerror(errno));
		return -1;
	}
	ns->current = ns->nocg2;
	return 0;
}

/* Enter the named mount namespace; setns also moves the cwd to its root, so paths are absolute. */
static int enter_namespace(struct mount_namespaces *ns, const char *name)
{
	int want;

	if (strcmp(name, "host") == 0) {
		want = ns->host;
	} else if (strcmp(name, "nocg2") == 0) {
		if (ns->nocg2 < 0)
			return make_nocg2_namespace(ns);
		want = ns->nocg2;
	} else {
		fprintf(stderr, "timer: namespace '%s': expected host or nocg2\n", name);
		return -1;
	}
	if (want == ns->current)
		return 0;
	if (setns(want, CLONE_NEWNS) < 0) {
		fprintf(stderr, "timer: setns to %s: %s\n", name, strerror(errno));
		return -1;
	}
	ns->current = want;
	return 0;
}

/* argv with every "{}" replaced by the copy index; the strings are freed by free_argv(). */
static char **argv_for_copy(char **args, int n_args, int copy)
{
	char **argv = calloc((size_t)n_args + 1, sizeof(*argv));
	char index[16];

	if (argv == NULL)
		return NULL;
	snprintf(index, sizeof(index), "%d", copy);
	for (int i = 0; i < n_args; i++) {
		const char *mark = strstr(args[i], "{}");
		size_t len = strlen(args[i]) + strlen(index) + 1;
		argv[i] = malloc(len);
		if (argv[i] == NULL)
			goto fail;
		if (mark)
			snprintf(argv[i], len, "%.*s%s%s", (int)(mark - args[i]), args[i], index, mark + 2);
		else
			snprintf(argv[i], len, "%s", args[i]);
	}
	return argv;
fail:
	for (int i = 0; i < n_args; i++)
		free(argv[i]);
	free(argv);
	return NULL;
}

static void free_argv(char **argv)
{
	for (int i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Run COUNT copies of one command at once; prints its result line. */
static int run_line(char *tag, int count, char **args, int n_args, posix_spawn_file_actions_t *fa)
{
	pid_t pids[MAX_COPIES];
	char **argvs[MAX_COPIES];
	long long cpu_us = 0, maxrss = 0;
	int failed = 0, started = 0;

	/* Build every argv first so that allocation stays out of the timed part. */
	for (int c = 0; c < count; c++) {
		argvs[c] = argv_for_copy(args, n_args, c);
		if (argvs[c] == NULL) {
			for (int k = 0; k < c; k++)
				free_argv(argvs[k]);
			fprintf(stderr, "timer: %s: out of memory\n", tag);
			return -1;
		}
	}
	long long start = now_ns();
	for (int c = 0; c < count; c++) {
		pids[c] = 0;
		int err = posix_spawnp(&pids[c], argvs[c][0], fa, NULL, argvs[c], environ);
		if (err != 0) {
			fprintf(stderr, "timer: %s: %s: %s\n", tag, argvs[c][0], strerror(err));
			failed++;
			continue;
		}
		started++;
	}
	for (int c = 0; c < count && started > 0; c++) {
		struct rusage ru;
		int status;
		pid_t pid;

		if (pids[c] <= 0)
			continue;
		while ((pid = wait4(pids[c], &status, 0, &ru)) < 0 && errno == EINTR)
			;
		if (pid < 0) {
			fprintf(stderr, "timer: %s: wait4: %s\n", tag, strerror(errno));
			failed++;
			continue;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
		cpu_us += ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
		cpu_us += ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	long long wall = now_ns() - start;
	for (int c = 0; c < count; c++)
		free_argv(argvs[c]);
	printf("%s\t%lld\t%lld\t%lld\t%d\n", tag, wall, cpu_us, maxrss, failed);
	fflush(stdout);
	return 0;
}

int main(void)
{
	struct mount_namespaces ns = { .nocg2 = -1 };
	posix_spawn_file_actions_t fa;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	ns.host = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (ns.host < 0) {
		fprintf(stderr, "timer: /proc/self/ns/mnt: %s\n", strerror(errno));
		return 1;
	}
	ns.current = ns.host;

	struct sigaction sa = { .sa_handler = request_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The commands start with default dispositions: posix_spawn resets handled signals. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);

	while (!stop_requested && (len = getline(&line, &cap, stdin)) > 0) {
		char *fields[MAX_ARGS + 3];
		int n = 0;

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		for (char *save = NULL, *f = strtok_r(line, "\t", &save); f && n < MAX_ARGS + 3; f = strtok_r(NULL, "\t", &save))
			fields[n++] = f;
		int count = n >= 3 ? atoi(fields[2]) : 0;
		if (n < 4 || count < 1 || count > MAX_COPIES) {
			fprintf(stderr, "timer: input line '%s': expected TAG NS COUNT(1-%d) ARGV...\n",
				n ? fields[0] : "", MAX_COPIES);
			rc = 1;
			break;
		}
		if (enter_namespace(&ns, fields[1]) < 0 || run_line(fields[0], count, fields + 3, n - 3, &fa) < 0) {
			rc = 1;
			break;
		}
	}
	free(line);
	posix_spawn_file_actions_destroy(&fa);
	if (stop_requested) {
		fprintf(stderr, "timer: stopped by a signal\n");
		rc = 1;
	}
	return rc;
}
