/*
 * berth update [--resources FILE|-] [runc's flags] ID: apply new linux.resources to a live
 * container's cgroup. The JSON is a linux.resources object (what containerd passes); each flag
 * then overrides its field, as runc does. Device rules are not changed by update (runc's
 * behaviour: containerd passes the whole resources object back).
 * This file only parses: the cgroup work is cgroup_update().
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "commands.h"
#include "state.h"
#include "util.h"

enum {
	OPT_RESOURCES = 'r',
	OPT_BLKIO_WEIGHT = 256,
	OPT_CPU_PERIOD,
	OPT_CPU_QUOTA,
	OPT_CPU_SHARES,
	OPT_CPU_RT_PERIOD,
	OPT_CPU_RT_RUNTIME,
	OPT_CPU_IDLE,
	OPT_CPUSET_CPUS,
	OPT_CPUSET_MEMS,
	OPT_MEMORY,
	OPT_MEMORY_RESERVATION,
	OPT_MEMORY_SWAP,
	OPT_KERNEL_MEMORY,
	OPT_KERNEL_MEMORY_TCP,
	OPT_PIDS_LIMIT,
	OPT_L3_CACHE,
	OPT_MEM_BW,
};

static const struct option update_options[] = {
	{ "resources", required_argument, NULL, OPT_RESOURCES },
	{ "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
	{ "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
	{ "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
	{ "cpu-share", required_argument, NULL, OPT_CPU_SHARES }, /* runc's spelling */
	{ "cpu-shares", required_argument, NULL, OPT_CPU_SHARES },
	{ "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
	{ "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
	{ "cpu-idle", required_argument, NULL, OPT_CPU_IDLE },
	{ "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
	{ "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
	{ "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
	{ "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
	{ "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
	{ "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
	{ "l3-cache-schema", required_argument, NULL, OPT_L3_CACHE },
	{ "mem-bw-schema", required_argument, NULL, OPT_MEM_BW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char update_help[] =
	"usage: berth update [OPTIONS] ID\n"
	"  -r, --resources FILE|-      a linux.resources JSON object (- reads stdin)\n"
	"      --blkio-weight N        block IO weight (10..1000)\n"
	"      --cpu-period US         CPU CFS period\n"
	"      --cpu-quota US          CPU CFS quota (-1: none)\n"
	"      --cpu-share(s) N        CPU shares (relative weight)\n"
	"      --cpu-rt-period US      realtime period (cgroup v1)\n"
	"      --cpu-rt-runtime US     realtime runtime (cgroup v1)\n"
	"      --cpu-idle 0|1          SCHED_IDLE for the cgroup\n"
	"      --cpuset-cpus LIST      CPUs allowed (0-3, 0,1)\n"
	"      --cpuset-mems LIST      memory nodes allowed\n"
	"      --memory SIZE           memory limit (bytes, or 512k, 64m, 1g; -1: none)\n"
	"      --memory-reservation SIZE  soft limit\n"
	"      --memory-swap SIZE      memory+swap limit (-1: unlimited swap)\n"
	"      --kernel-memory SIZE    kernel memory limit (cgroup v1)\n"
	"      --kernel-memory-tcp SIZE  kernel TCP buffer limit (cgroup v1)\n"
	"      --pids-limit N          maximum number of tasks (-1: none)\n";

/* Docker's RAMInBytes, which runc uses: "512", "64k", "1.5g", "-1"; units are powers of 1024. */
static int parse_size(const char *flag, const char *s, int64_t *out, struct berth_error **err)
{
	char *end;
	double v;
	double mult = 1;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return berth_fail(err, "--%s: expected a size like 512m or -1, got '%s'", flag, s);
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		mult = 1024.0, end++;
		break;
	case 'm':
		mult = 1024.0 * 1024, end++;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024, end++;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024, end++;
		break;
	default:
		return berth_fail(err, "--%s: unknown unit in '%s'", flag, s);
	}
	if (mult > 1 && tolower((unsigned char)*end) == 'b')
		end++;
	if (*end || v * mult >= 9.2e18)
		return berth_fail(err, "--%s: expected a size like 512m or -1, got '%s'", flag, s);
	*out = (int64_t)(v * mult);
	return 0;
}

static int parse_int(const char *flag, const char *s, int64_t min, int64_t *out,
		     struct berth_error **err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return berth_fail(err, "--%s: expected an integer >= %" PRId64 ", got '%s'", flag, min,
				  s);
	*out = v;
	return 0;
}

static int read_resources(const char *path, struct oci_resources **r, struct berth_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	char *msg = NULL;
	FILE *f;

	if (strcmp(path, "-") != 0) {
		if (oci_parse_file(&oci_linux_resources_type, path, (void **)r, &msg) < 0)
			return berth_fail_take(err, errno, msg);
		return 0;
	}
	f = stdin;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL)
				return berth_fail_errno(err, ENOMEM, "read stdin");
			buf = nb;
			cap += 65536;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return berth_fail_errno(err, errno, "read stdin");
	if (oci_parse(&oci_linux_resources_type, buf, len, "stdin", (void **)r, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	return 0;
}

/* Objects the flags write into, made on demand. */
static void *need(void **p, size_t size)
{
	if (*p == NULL)
		*p = calloc(1, size);
	return *p;
}

static int apply_flag(struct oci_resources *r, int opt, const char *name, const char *arg,
		      struct berth_error **err)
{
	bool memory_flag = opt == OPT_MEMORY || opt == OPT_MEMORY_RESERVATION ||
			   opt == OPT_MEMORY_SWAP || opt == OPT_KERNEL_MEMORY ||
			   opt == OPT_KERNEL_MEMORY_TCP;
	bool cpu_flag = !memory_flag && opt != OPT_BLKIO_WEIGHT && opt != OPT_PIDS_LIMIT;
	struct oci_memory *m = memory_flag ? need((void **)&r->memory, sizeof(*m)) : NULL;
	struct oci_cpu *c = cpu_flag ? need((void **)&r->cpu, sizeof(*c)) : NULL;
	int64_t v;

	if ((memory_flag && m == NULL) || (cpu_flag && c == NULL))
		return berth_fail_errno(err, ENOMEM, "update");
	switch (opt) {
	case OPT_BLKIO_WEIGHT:
		if (parse_int(name, arg, 0, &v, err) < 0)
			return -1;
		if (need((void **)&r->block_io, sizeof(*r->block_io)) == NULL)
			return berth_fail_errno(err, ENOMEM, "update");
		r->block_io->weight = (uint32_t)v;
		r->block_io->has_weight = true;
		return 0;
	case OPT_CPU_PERIOD:
		if (parse_int(name, arg, 0, &v, err) < 0)
			return -1;
		c->period = (uint64_t)v, c->has_period = true;
		return 0;
	case OPT_CPU_QUOTA:
		if (parse_int(name, arg, -1, &v, err) < 0)
			return -1;
		c->quota = v, c->has_quota = true;
		return 0;
	case OPT_CPU_SHARES:
		if (parse_int(name, arg, 0, &v, err) < 0)
			return -1;
		c->shares = (uint64_t)v, c->has_shares = true;
		return 0;
	case OPT_CPU_RT_PERIOD:
		if (parse_int(name, arg, 0, &v, err) < 0)
			return -1;
		c->realtime_period = (uint64_t)v, c->has_realtime_period = true;
		return 0;
	case OPT_CPU_RT_RUNTIME:
		if (parse_int(name, arg, -1, &v, err) < 0)
			return -1;
		c->realtime_runtime = v, c->has_realtime_runtime = true;
		return 0;
	case OPT_CPU_IDLE:
		if (parse_int(name, arg, 0, &v, err) < 0)
			return -1;
		c->idle = v, c->has_idle = true;
		return 0;
	case OPT_CPUSET_CPUS:
		free(c->cpus);
		return (c->cpus = strdup(arg)) ? 0 : berth_fail_errno(err, ENOMEM, "update");
	case OPT_CPUSET_MEMS:
		free(c->mems);
		return (c->mems = strdup(arg)) ? 0 : berth_fail_errno(err, ENOMEM, "update");
	case OPT_PIDS_LIMIT:
		if (parse_int(name, arg, -1, &v, err) < 0)
			return -1;
		if (need((void **)&r->pids, sizeof(*r->pids)) == NULL)
			return berth_fail_errno(err, ENOMEM, "update");
		r->pids->limit = v, r->pids->has_limit = true;
		return 0;
	}
	if (parse_size(name, arg, &v, err) < 0)
		return -1;
	switch (opt) {
	case OPT_MEMORY:
		m->limit = v, m->has_limit = true;
		break;
	case OPT_MEMORY_RESERVATION:
		m->reservation = v, m->has_reservation = true;
		break;
	case OPT_MEMORY_SWAP:
		m->swap = v, m->has_swap = true;
		break;
	case OPT_KERNEL_MEMORY:
		m->kernel = v, m->has_kernel = true;
		break;
	case OPT_KERNEL_MEMORY_TCP:
		m->kernel_tcp = v, m->has_kernel_tcp = true;
		break;
	}
	return 0;
}

struct flag {
	int opt;
	const char *name, *arg;
};

static int update_container(const char *id, const struct berth_options *o,
			    const struct oci_resources *r, struct berth_error **err)
{
	struct berth_state *st = NULL;
	struct berth_cgroup *cg = NULL;
	_cleanup_close_ int dirfd = -1;
	int ret = -1;

	dirfd = state_dir_open(o->root ? o->root : BERTH_DEFAULT_ROOT, id, NULL, err);
	if (dirfd < 0 || state_read(dirfd, &st, err) < 0)
		return -1;
	if (!process_alive((pid_t)st->pid, st->pid_start_time))
		berth_fail(err, "container '%s' is not running", id);
	else if (st->cgroup_path == NULL)
		berth_fail(err, "container has no cgroup");
	else if (cgroup_open(st->cgroup_path, &cg, err) == 0)
		ret = cgroup_update(cg, r, err);
	cgroup_free(cg);
	state_free(st);
	return ret;
}

int cmd_update(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	_cleanup_free_ struct flag *flags = calloc((size_t)argc + 1, sizeof(*flags));
	struct oci_resources *r = NULL;
	const char *resources = NULL, *id;
	size_t n = 0;
	int c, idx, ret = 1;

	if (flags == NULL)
		return berth_fail_errno(err, ENOMEM, "update"), 1;
	while ((c = getopt_long(argc, argv, "+r:h", update_options, &idx)) != -1) {
		switch (c) {
		case 'h':
			fputs(update_help, stdout);
			return 0;
		case OPT_RESOURCES:
			resources = optarg;
			break;
		case OPT_L3_CACHE:
		case OPT_MEM_BW:
			berth_fail(err, "--%s: Intel RDT is not supported by berth",
				   update_options[idx].name);
			return 1;
		case '?':
			berth_fail(err, "unknown option; see berth update --help");
			return 1;
		default:
			/* The short form -r has no index; every other option is long. */
			flags[n++] = (struct flag){ c, update_options[idx].name, optarg };
		}
	}
	if (command_id(argc, argv, "update", &id, err) < 0)
		return 1;
	if (resources && read_resources(resources, &r, err) < 0)
		goto out;
	if (r == NULL && (r = calloc(1, sizeof(*r))) == NULL) {
		berth_fail_errno(err, ENOMEM, "update");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (apply_flag(r, flags[i].opt, flags[i].name, flags[i].arg, err) < 0)
			goto out;
	if (update_container(id, o, r, err) == 0)
		ret = 0;
out:
	oci_free(&oci_linux_resources_type, r);
	return ret;
}
