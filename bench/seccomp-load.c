/*
 * bench/seccomp-load: what the kernel charges to attach a seccomp filter, the part of a
 * container's seccomp cost that no cache in the runtime can remove.
 *   bench/seccomp-load [ROUNDS]
 * For filters of 2 (write, exit_group), 10, 100 and 300 allowed syscalls, on the native architecture alone and on
 * x86_64 + x86 + x32 (Docker's default profile), in libseccomp's linear and binary-tree
 * layouts, it forks ROUNDS children (default 25); each sets no_new_privs and times the one
 * seccomp(SECCOMP_SET_MODE_FILTER) call that attaches the exported BPF. It prints the median
 * per case. The attach is the kernel's: checking the classic BPF, converting it to eBPF and
 * JIT-compiling it. It changes nothing outside the children it forks, which exit at once.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 1000

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Export a filter allowing the first `rules` syscall numbers the architecture knows. */
static int build(int rules, int arches, int layout, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int added = 0, pipefd[2] = { -1, -1 }, r = -1;
	static char bpf[BPF_MAXINSNS * sizeof(struct sock_filter)];
	ssize_t n;

	if (ctx == NULL)
		return -1;
	if ((arches > 1 && seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0) ||
	    (arches > 2 && seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, layout) < 0)
		goto out;
	/* The child must still write its result and exit. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_write, 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SYS_exit_group, 0) < 0)
		goto out;
	added = 2;
	for (int nr = 0; nr < 512 && added < rules; nr++)
		if (nr != SYS_write && nr != SYS_exit_group &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			added++;
	if (pipe(pipefd) < 0 || seccomp_export_bpf(ctx, pipefd[1]) < 0)
		goto out;
	close(pipefd[1]);
	pipefd[1] = -1;
	n = read(pipefd[0], bpf, sizeof(bpf));
	if (n <= 0)
		goto out;
	prog->len = (unsigned short)(n / sizeof(struct sock_filter));
	prog->filter = (struct sock_filter *)bpf;
	r = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	seccomp_release(ctx);
	return r;
}

/* One child: attach the filter and report how long the call took through a pipe. */
static double attach_once(const struct sock_fprog *prog)
{
	double took = -1;
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		double t0, t;

		close(p[0]);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		t0 = now_us();
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
			_exit(1);
		t = now_us() - t0;
		_exit(write(p[1], &t, sizeof(t)) == sizeof(t) ? 0 : 1);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &took, sizeof(took)) != sizeof(took))
		took = -1;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return took;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const int rule_counts[] = { 2, 10, 100, 300 };
	int rounds = argc > 1 ? atoi(argv[1]) : 25;
	static double samples[MAX_ROUNDS];

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench/seccomp-load [ROUNDS (1-%d)]\n", MAX_ROUNDS);
		return 2;
	}
	printf("| allowed syscalls | architectures | layout | BPF instructions | attach, median (us) |\n");
	printf("|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(rule_counts) / sizeof(rule_counts[0]); i++)
		for (int arches = 1; arches <= 3; arches += 2)
			for (int layout = 1; layout <= 2; layout++) {
				struct sock_fprog prog;
				int ok = 0;

				if (build(rule_counts[i], arches, layout, &prog) < 0) {
					fprintf(stderr, "bench/seccomp-load: libseccomp could not "
							"build the filter\n");
					return 1;
				}
				for (int r = 0; r < rounds; r++) {
					double t = attach_once(&prog);
					if (t >= 0)
						samples[ok++] = t;
				}
				if (ok == 0) {
					fprintf(stderr, "bench/seccomp-load: seccomp() failed\n");
					return 1;
				}
				qsort(samples, (size_t)ok, sizeof(double), cmp_double);
				printf("| %d | %s | %s | %u | %.0f |\n", rule_counts[i],
				       arches == 1 ? "native" : "x86_64, x86, x32",
				       layout == 1 ? "linear" : "binary tree", prog.len,
				       samples[ok / 2]);
			}
	return 0;
}
