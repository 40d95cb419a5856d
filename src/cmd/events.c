/*
 * berth events [--stats] [--interval D] ID: runc's event stream, one JSON object a line:
 *   {"type":"stats","id":ID,"data":{"cpu":...,"memory":...,"pids":...,"blkio":...,
 *    "hugetlb":...}}   every interval (once with --stats, then exit),
 *   {"type":"oom","id":ID}   whenever the kernel OOM-kills a process of the container.
 * Field names and omitted zeros follow runc's types.Stats so existing consumers parse it.
 * The stream ends when the container stops. The numbers come from cgroup_stats().
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "cgroup.h"
#include "commands.h"
#include "state.h"
#include "util.h"

#define KEY(g, s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))

/* runc's `omitempty`: a zero number is left out. */
static void num(yajl_gen g, const char *key, uint64_t v, bool omit_zero)
{
	if (omit_zero && v == 0)
		return;
	KEY(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void memory_entry(yajl_gen g, const char *key, const struct cgroup_memory_entry *e)
{
	KEY(g, key);
	yajl_gen_map_open(g);
	num(g, "limit", e->limit, false);
	num(g, "usage", e->usage, true);
	num(g, "max", e->max, true);
	num(g, "failcnt", e->failcnt, false);
	yajl_gen_map_close(g);
}

static void blkio_list(yajl_gen g, const char *key, const struct cgroup_blkio_entry *v, size_t n)
{
	if (n == 0)
		return;
	KEY(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		num(g, "major", v[i].major, true);
		num(g, "minor", v[i].minor, true);
		KEY(g, "op");
		KEY(g, v[i].op);
		num(g, "value", v[i].value, true);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void stats_data(yajl_gen g, const struct cgroup_stats *s)
{
	yajl_gen_map_open(g);
	KEY(g, "cpu");
	yajl_gen_map_open(g);
	KEY(g, "usage");
	yajl_gen_map_open(g);
	num(g, "total", s->cpu_total, true);
	if (s->cpu_percpu_len) {
		KEY(g, "percpu");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < s->cpu_percpu_len; i++)
			yajl_gen_integer(g, (long long)s->cpu_percpu[i]);
		yajl_gen_array_close(g);
	}
	num(g, "kernel", s->cpu_kernel, false);
	num(g, "user", s->cpu_user, false);
	yajl_gen_map_close(g);
	KEY(g, "throttling");
	yajl_gen_map_open(g);
	num(g, "periods", s->throttling_periods, true);
	num(g, "throttledPeriods", s->throttled_periods, true);
	num(g, "throttledTime", s->throttled_time, true);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	KEY(g, "memory");
	yajl_gen_map_open(g);
	num(g, "cache", s->memory_cache, true);
	memory_entry(g, "usage", &s->memory_usage);
	memory_entry(g, "swap", &s->memory_swap);
	memory_entry(g, "kernel", &s->memory_kernel);
	memory_entry(g, "kernelTCP", &s->memory_kernel_tcp);
	if (s->memory_raw.len) {
		KEY(g, "raw");
		yajl_gen_map_open(g);
		for (size_t i = 0; i < s->memory_raw.len; i++) {
			KEY(g, s->memory_raw.keys[i]);
			yajl_gen_integer(g, strtoll(s->memory_raw.values[i], NULL, 10));
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);

	KEY(g, "pids");
	yajl_gen_map_open(g);
	num(g, "current", s->pids_current, true);
	num(g, "limit", s->pids_limit, true);
	yajl_gen_map_close(g);

	KEY(g, "blkio");
	yajl_gen_map_open(g);
	blkio_list(g, "ioServiceBytesRecursive", s->io_service_bytes, s->io_service_bytes_len);
	blkio_list(g, "ioServicedRecursive", s->io_serviced, s->io_serviced_len);
	yajl_gen_map_close(g);

	KEY(g, "hugetlb");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < s->hugetlb_len; i++) {
		KEY(g, s->hugetlb[i].page_size);
		yajl_gen_map_open(g);
		num(g, "usage", s->hugetlb[i].usage, true);
		num(g, "max", s->hugetlb[i].max, true);
		num(g, "failcnt", s->hugetlb[i].failcnt, false);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

/* One event line; `s` is NULL for an oom event. */
static int print_event(const char *type, const char *id, const struct cgroup_stats *s,
		       struct berth_error **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (g == NULL)
		return berth_fail_errno(err, ENOMEM, "events");
	yajl_gen_map_open(g);
	KEY(g, "type");
	KEY(g, type);
	KEY(g, "id");
	KEY(g, id);
	if (s) {
		KEY(g, "data");
		stats_data(g, s);
	}
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return berth_fail(err, "could not build the JSON");
	}
	fwrite(buf, 1, len, stdout);
	putchar('\n');
	fflush(stdout);
	yajl_gen_free(g);
	return 0;
}

/* Go durations as runc takes them: "5s", "500ms", "1m30s", "2h". */
static int parse_duration(const char *s, long long *ms, struct berth_error **err)
{
	const char *p = s;
	double total = 0;

	while (*p) {
		char *end;
		double v = strtod(p, &end);

		if (end == p)
			goto bad;
		p = end;
		if (strncmp(p, "ms", 2) == 0)
			total += v, p += 2;
		else if (*p == 's')
			total += v * 1000, p++;
		else if (*p == 'm')
			total += v * 60000, p++;
		else if (*p == 'h')
			total += v * 3600000, p++;
		else
			goto bad;
	}
	if (p == s || total <= 0)
		goto bad;
	*ms = (long long)total;
	return 0;
bad:
	return berth_fail(err, "--interval: expected a duration like 5s or 500ms, got '%s'",
			  s);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int stats_event(struct berth_cgroup *cg, const char *id, struct berth_error **err)
{
	struct cgroup_stats s;
	int r;

	if (cgroup_stats(cg, &s, err) < 0)
		return -1;
	r = print_event("stats", id, &s, err);
	cgroup_stats_free(&s);
	return r;
}

int cmd_events(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_state *st = NULL;
	struct berth_cgroup *cg = NULL;
	long long interval = 5000, next;
	bool once = false;
	const char *id;
	int c, dirfd, oom_fd = -1, ret = 1;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			once = true;
			break;
		case 'i':
			if (parse_duration(optarg, &interval, err) < 0)
				return 1;
			break;
		case 'h':
			puts("usage: berth events [--stats] [--interval DURATION] ID\n"
			     "  --stats            print one stats event and exit\n"
			     "  --interval D       time between stats events (default 5s)");
			return 0;
		default:
			berth_fail(err, "unknown option; see berth events --help");
			return 1;
		}
	}
	if (command_id(argc, argv, "events", &id, err) < 0)
		return 1;
	/* Read the state and let go of the lock at once: events runs for long. */
	dirfd = state_dir_open(o->root ? o->root : BERTH_DEFAULT_ROOT, id, NULL, err);
	if (dirfd < 0)
		return 1;
	if (state_read(dirfd, &st, err) < 0) {
		close(dirfd);
		return 1;
	}
	close(dirfd);
	if (!process_alive((pid_t)st->pid, st->pid_start_time)) {
		berth_fail(err, "container with id %s is not running", id);
		goto out;
	}
	if (st->cgroup_path == NULL || cgroup_open(st->cgroup_path, &cg, err) < 0) {
		if (st->cgroup_path == NULL)
			berth_fail(err, "container has no cgroup");
		goto out;
	}
	if (once) {
		ret = stats_event(cg, id, err) < 0 ? 1 : 0;
		goto out;
	}
	oom_fd = cgroup_oom_watch(cg, err);
	if (oom_fd < 0)
		goto out;
	next = now_ms();
	for (;;) {
		struct pollfd pfd = { .fd = oom_fd, .events = POLLIN };
		long long wait;
		int n;

		if (!process_alive((pid_t)st->pid, st->pid_start_time)) {
			ret = 0;
			break;
		}
		if (now_ms() >= next) {
			struct berth_error *gone = NULL;

			/* The cgroup vanishing (delete) ends the stream, not an error. */
			if (stats_event(cg, id, &gone) < 0) {
				ret = gone->errnum == ENOENT ? 0 : 1;
				if (ret)
					*err = gone;
				else
					berth_error_free(gone);
				break;
			}
			next += interval;
		}
		wait = next - now_ms();
		/* Check the init at least once a second so the stream ends with it. */
		n = poll(&pfd, 1, (int)(wait < 0 ? 0 : wait > 1000 ? 1000 : wait));
		if (n < 0 && errno != EINTR) {
			berth_fail_errno(err, errno, "poll");
			break;
		}
		if (n > 0) {
			uint64_t kills;

			if (cgroup_oom_read(cg, &kills, err) < 0)
				break;
			for (uint64_t k = 0; k < kills; k++)
				if (print_event("oom", id, NULL, err) < 0)
					goto out;
		}
	}
out:
	cgroup_free(cg);
	state_free(st);
	return ret;
}
