/*
 * What `events` reports: resource usage read from the container's cgroup files (v2: cpu.stat,
 * memory.*, pids.*, io.stat, hugetlb.*; v1: cpuacct, cpu.stat, memory, pids, blkio.throttle,
 * hugetlb), in runc's units, and OOM kill notifications (v2: inotify on memory.events, v1: an
 * eventfd bound through cgroup.event_control). Statistics a kernel does not provide stay 0.
 * This file only reads, except registering the v1 OOM eventfd (the kernel's documented way).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

/* Read a number, 0 when the file is absent (a kernel without that statistic). */
static uint64_t read_or_zero(const struct cgroup_dir *d, const char *file)
{
	struct berth_error *ignored = NULL;
	uint64_t v = 0;

	if (d && cgroup_has_file(d, file) && cgroup_read_u64(d, file, &v, &ignored) < 0)
		v = 0;
	berth_error_free(ignored);
	return v;
}

static uint64_t key_or_zero(const struct cgroup_dir *d, const char *file, const char *key)
{
	struct berth_error *ignored = NULL;
	uint64_t v = 0;

	if (d && cgroup_has_file(d, file) && cgroup_read_key(d, file, key, &v, &ignored) < 0)
		v = 0;
	berth_error_free(ignored);
	return v;
}

/* memory.stat as a map of strings, for the "raw" object. */
static int read_raw(const struct cgroup_dir *d, struct oci_map *raw, struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;

	if (cgroup_read(d, "memory.stat", &s, err) < 0)
		return -1;
	for (char *line = s, *next; line && *line; line = next) {
		char *sp = strchr(line, ' ');

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sp == NULL)
			continue;
		*sp = '\0';
		if (oci_map_set(raw, line, sp + 1) < 0)
			return berth_fail_errno(err, ENOMEM, "memory.stat");
	}
	return 0;
}

static int add_entry(struct cgroup_blkio_entry **v, size_t *n, uint64_t major, uint64_t minor,
		     const char *op, uint64_t value)
{
	struct cgroup_blkio_entry *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	nv[(*n)++] = (struct cgroup_blkio_entry){ major, minor, op, value };
	return 0;
}

static const char *op_name(const char *s)
{
	static const char *const ops[] = { "Read", "Write", "Sync", "Async", "Discard", "Total" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i]) == 0)
			return ops[i];
	return NULL;
}

/* v1 blkio: "8:0 Read 4096" lines. */
static int read_blkio_v1(const struct cgroup_dir *d, const char *file,
			 struct cgroup_blkio_entry **v, size_t *n, struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;

	if (!cgroup_has_file(d, file))
		return 0;
	if (cgroup_read(d, file, &s, err) < 0)
		return -1;
	for (char *line = s, *next; line && *line; line = next) {
		unsigned long long major, minor, value;
		char op[16];
		const char *name;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) != 4 ||
		    (name = op_name(op)) == NULL)
			continue;
		if (add_entry(v, n, major, minor, name, value) < 0)
			return berth_fail_errno(err, ENOMEM, "%s", file);
	}
	return 0;
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static int read_io_v2(const struct cgroup_dir *d, struct cgroup_stats *st,
		      struct berth_error **err)
{
	_cleanup_free_ char *s = NULL;

	if (!cgroup_has_file(d, "io.stat"))
		return 0;
	if (cgroup_read(d, "io.stat", &s, err) < 0)
		return -1;
	for (char *line = s, *next; line && *line; line = next) {
		unsigned long long major, minor, v;
		char *save = NULL, *tok;
		int r = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%llu:%llu", &major, &minor) != 2)
			continue;
		strtok_r(line, " ", &save);
		while (r == 0 && (tok = strtok_r(NULL, " ", &save))) {
			if (sscanf(tok, "rbytes=%llu", &v) == 1)
				r = add_entry(&st->io_service_bytes, &st->io_service_bytes_len, major,
					      minor, "Read", v);
			else if (sscanf(tok, "wbytes=%llu", &v) == 1)
				r = add_entry(&st->io_service_bytes, &st->io_service_bytes_len, major,
					      minor, "Write", v);
			else if (sscanf(tok, "rios=%llu", &v) == 1)
				r = add_entry(&st->io_serviced, &st->io_serviced_len, major, minor,
					      "Read", v);
			else if (sscanf(tok, "wios=%llu", &v) == 1)
				r = add_entry(&st->io_serviced, &st->io_serviced_len, major, minor,
					      "Write", v);
		}
		if (r < 0)
			return berth_fail_errno(err, ENOMEM, "io.stat");
	}
	return 0;
}

/* The hugepage sizes the kernel has, as the hugetlb files name them. */
static int hugetlb_stats(const struct cgroup_dir *d, bool v2, struct cgroup_stats *st,
			 struct berth_error **err)
{
	DIR *dir = opendir("/sys/kernel/mm/hugepages");
	struct dirent *e;

	if (dir == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL) {
		unsigned long kb;
		char size[32], file[96];
		struct cgroup_hugetlb_stats *h, *nh;

		if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
			snprintf(size, sizeof(size), "%luGB", kb / (1024 * 1024));
		else if (kb >= 1024 && kb % 1024 == 0)
			snprintf(size, sizeof(size), "%luMB", kb / 1024);
		else
			snprintf(size, sizeof(size), "%luKB", kb);
		nh = realloc(st->hugetlb, (st->hugetlb_len + 1) * sizeof(*nh));
		if (nh == NULL || (size[0] && !(nh[st->hugetlb_len].page_size = strdup(size)))) {
			if (nh)
				st->hugetlb = nh;
			closedir(dir);
			return berth_fail_errno(err, ENOMEM, "hugetlb");
		}
		st->hugetlb = nh;
		h = &nh[st->hugetlb_len++];
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes",
			 size);
		h->usage = read_or_zero(d, file);
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.max_usage_in_bytes",
			 size);
		h->max = read_or_zero(d, file);
		if (v2) {
			snprintf(file, sizeof(file), "hugetlb.%s.events", size);
			h->failcnt = key_or_zero(d, file, "max");
		} else {
			snprintf(file, sizeof(file), "hugetlb.%s.failcnt", size);
			h->failcnt = read_or_zero(d, file);
		}
	}
	closedir(dir);
	return 0;
}

static int stats_v2(struct cgroup_dir *d, struct cgroup_stats *st, struct berth_error **err)
{
	uint64_t swap_current, swap_max;

	st->cpu_total = key_or_zero(d, "cpu.stat", "usage_usec") * 1000;
	st->cpu_user = key_or_zero(d, "cpu.stat", "user_usec") * 1000;
	st->cpu_kernel = key_or_zero(d, "cpu.stat", "system_usec") * 1000;
	st->throttling_periods = key_or_zero(d, "cpu.stat", "nr_periods");
	st->throttled_periods = key_or_zero(d, "cpu.stat", "nr_throttled");
	st->throttled_time = key_or_zero(d, "cpu.stat", "throttled_usec") * 1000;

	st->memory_usage.usage = read_or_zero(d, "memory.current");
	st->memory_usage.limit = read_or_zero(d, "memory.max");
	st->memory_usage.max = read_or_zero(d, "memory.peak");
	st->memory_usage.failcnt = key_or_zero(d, "memory.events", "max");
	/* runc reports v2 swap as memory+swap, matching v1's memsw. */
	swap_current = read_or_zero(d, "memory.swap.current");
	swap_max = read_or_zero(d, "memory.swap.max");
	st->memory_swap.usage = st->memory_usage.usage + swap_current;
	st->memory_swap.limit = (swap_max == UINT64_MAX || st->memory_usage.limit == UINT64_MAX)
					? UINT64_MAX
					: swap_max + st->memory_usage.limit;
	st->memory_cache = key_or_zero(d, "memory.stat", "file");
	if (cgroup_has_file(d, "memory.stat") && read_raw(d, &st->memory_raw, err) < 0)
		return -1;

	st->pids_current = read_or_zero(d, "pids.current");
	st->pids_limit = read_or_zero(d, "pids.max");
	if (read_io_v2(d, st, err) < 0)
		return -1;
	return hugetlb_stats(d, true, st, err);
}

static int stats_v1(struct berth_cgroup *cg, struct cgroup_stats *st, struct berth_error **err)
{
	struct cgroup_dir *cpuacct = cgroup_find_dir(cg, "cpuacct"), *cpu = cgroup_find_dir(cg, "cpu");
	struct cgroup_dir *mem = cgroup_find_dir(cg, "memory"), *pids = cgroup_find_dir(cg, "pids");
	struct cgroup_dir *blkio = cgroup_find_dir(cg, "blkio");
	struct cgroup_dir *hugetlb = cgroup_find_dir(cg, "hugetlb");
	long hz = sysconf(_SC_CLK_TCK);

	if (cpuacct) {
		_cleanup_free_ char *percpu = NULL;
		struct berth_error *ignored = NULL;

		st->cpu_total = read_or_zero(cpuacct, "cpuacct.usage");
		/* cpuacct.stat counts clock ticks. */
		st->cpu_user = key_or_zero(cpuacct, "cpuacct.stat", "user") * (1000000000 / hz);
		st->cpu_kernel = key_or_zero(cpuacct, "cpuacct.stat", "system") * (1000000000 / hz);
		if (cgroup_read(cpuacct, "cpuacct.usage_percpu", &percpu, &ignored) == 0) {
			char *p = percpu, *end;

			for (;;) {
				uint64_t v = strtoull(p, &end, 10), *nv;

				if (end == p)
					break;
				nv = realloc(st->cpu_percpu, (st->cpu_percpu_len + 1) * sizeof(*nv));
				if (nv == NULL)
					return berth_fail_errno(err, ENOMEM, "cpuacct.usage_percpu");
				st->cpu_percpu = nv;
				nv[st->cpu_percpu_len++] = v;
				p = end;
			}
		}
		berth_error_free(ignored);
	}
	if (cpu) {
		st->throttling_periods = key_or_zero(cpu, "cpu.stat", "nr_periods");
		st->throttled_periods = key_or_zero(cpu, "cpu.stat", "nr_throttled");
		st->throttled_time = key_or_zero(cpu, "cpu.stat", "throttled_time");
	}
	if (mem) {
		static const struct {
			const char *prefix;
			size_t offset;
		} entries[] = {
			{ "memory.", offsetof(struct cgroup_stats, memory_usage) },
			{ "memory.memsw.", offsetof(struct cgroup_stats, memory_swap) },
			{ "memory.kmem.", offsetof(struct cgroup_stats, memory_kernel) },
			{ "memory.kmem.tcp.", offsetof(struct cgroup_stats, memory_kernel_tcp) },
		};

		for (size_t i = 0; i < 4; i++) {
			struct cgroup_memory_entry *e =
				(void *)((char *)st + entries[i].offset);
			char file[64];

			snprintf(file, sizeof(file), "%susage_in_bytes", entries[i].prefix);
			e->usage = read_or_zero(mem, file);
			snprintf(file, sizeof(file), "%smax_usage_in_bytes", entries[i].prefix);
			e->max = read_or_zero(mem, file);
			snprintf(file, sizeof(file), "%slimit_in_bytes", entries[i].prefix);
			e->limit = read_or_zero(mem, file);
			snprintf(file, sizeof(file), "%sfailcnt", entries[i].prefix);
			e->failcnt = read_or_zero(mem, file);
		}
		st->memory_cache = key_or_zero(mem, "memory.stat", "cache");
		if (read_raw(mem, &st->memory_raw, err) < 0)
			return -1;
	}
	if (pids) {
		st->pids_current = read_or_zero(pids, "pids.current");
		st->pids_limit = read_or_zero(pids, "pids.max");
	}
	if (blkio &&
	    (read_blkio_v1(blkio, "blkio.throttle.io_service_bytes_recursive",
			   &st->io_service_bytes, &st->io_service_bytes_len, err) < 0 ||
	     read_blkio_v1(blkio, "blkio.throttle.io_serviced_recursive", &st->io_serviced,
			   &st->io_serviced_len, err) < 0))
		return -1;
	if (hugetlb)
		return hugetlb_stats(hugetlb, false, st, err);
	return 0;
}

int cgroup_stats(struct berth_cgroup *cg, struct cgroup_stats *st, struct berth_error **err)
{
	int r;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < cg->n_dirs; i++)
		if (cgroup_dir_fd(&cg->dirs[i]) < 0)
			return berth_fail_errno(err, errno, "cgroup '%s'", cg->dirs[i].dir);
	if (cg->layout == CGROUP_LAYOUT_V2)
		r = stats_v2(&cg->dirs[0], st, err);
	else
		r = stats_v1(cg, st, err);
	if (r < 0)
		cgroup_stats_free(st);
	return r;
}

void cgroup_stats_free(struct cgroup_stats *st)
{
	free(st->cpu_percpu);
	for (size_t i = 0; i < st->memory_raw.len; i++) {
		free(st->memory_raw.keys[i]);
		free(st->memory_raw.values[i]);
	}
	free(st->memory_raw.keys);
	free(st->memory_raw.values);
	free(st->io_service_bytes);
	free(st->io_serviced);
	for (size_t i = 0; i < st->hugetlb_len; i++)
		free(st->hugetlb[i].page_size);
	free(st->hugetlb);
	memset(st, 0, sizeof(*st));
}

int cgroup_oom_watch(struct berth_cgroup *cg, struct berth_error **err)
{
	struct cgroup_dir *d;

	if (cg->oom_fd >= 0)
		return cg->oom_fd;
	if (cg->layout == CGROUP_LAYOUT_V2) {
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

		d = &cg->dirs[0];
		if (fd < 0)
			return berth_fail_errno(err, errno, "inotify");
		if (asprintf(&path, "%s/memory.events", d->dir) < 0) {
			path = NULL;
			return berth_fail_errno(err, ENOMEM, "watch OOM kills");
		}
		if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
			return berth_fail_errno(err, errno, "watch '%s'", path);
		cg->oom_seen = key_or_zero(d, "memory.events", "oom_kill");
		cg->oom_fd = steal_fd(&fd);
		return cg->oom_fd;
	}
	d = cgroup_find_dir(cg, "memory");
	if (d == NULL)
		return berth_fail(err, "the memory cgroup controller is not mounted on this host");
	{
		_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		_cleanup_close_ int ofd = -1;

		if (efd < 0)
			return berth_fail_errno(err, errno, "eventfd");
		int dfd = cgroup_dir_fd(d);

		ofd = dfd < 0 ? -1 : openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
		if (ofd < 0)
			return berth_fail_errno(err, errno, "open '%s/memory.oom_control'", d->dir);
		if (cgroup_writef(d, "cgroup.event_control", err, "%d %d", efd, ofd) < 0)
			return -1;
		cg->oom_control_fd = steal_fd(&ofd);
		cg->oom_fd = steal_fd(&efd);
	}
	return cg->oom_fd;
}

int cgroup_oom_read(struct berth_cgroup *cg, uint64_t *kills, struct berth_error **err)
{
	*kills = 0;
	if (cg->oom_fd < 0)
		return berth_fail(err, "no OOM watch");
	if (cg->layout == CGROUP_LAYOUT_V2) {
		char buf[4096];
		uint64_t now;

		while (read(cg->oom_fd, buf, sizeof(buf)) > 0)
			;
		if (cgroup_read_key(&cg->dirs[0], "memory.events", "oom_kill", &now, err) < 0)
			return -1;
		if (now > cg->oom_seen)
			*kills = now - cg->oom_seen;
		cg->oom_seen = now;
		return 0;
	}
	/* The eventfd also fires when the cgroup is removed: then there is nothing to report. */
	if (read(cg->oom_fd, kills, sizeof(*kills)) != sizeof(*kills) && errno != EAGAIN)
		return berth_fail_errno(err, errno, "read the OOM eventfd");
	if (!cgroup_has_file(cgroup_find_dir(cg, "memory"), "cgroup.procs"))
		*kills = 0;
	return 0;
}
