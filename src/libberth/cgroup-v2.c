/*
 * The cgroup v2 driver: one directory in the unified hierarchy, controllers enabled in each
 * parent's cgroup.subtree_control (all the parent offers, as runc does), linux.resources
 * written with the conversions runc and crun use (cpu.shares → cpu.weight, OCI memory+swap →
 * memory.swap.max, blkio weight → io.bfq.weight or io.weight), device rules as a BPF program
 * (cgroup-bpf.c), `unified` last so it can override. Fields v2 has no file for (network,
 * realtime, kernel memory, swappiness, leaf weights) are refused, never dropped.
 * This file must never write to a cgroup outside the container's path, and in the parents
 * only to cgroup.subtree_control.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "util.h"

/* OCI swap is memory+swap; v2's memory.swap.max is swap alone. -1: max, 0: leave as is. */
static int swap_value(const struct oci_memory *m, int64_t *out, struct berth_error **err)
{
	int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;

	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return berth_fail(err, "linux.resources.memory.swap: needs memory.limit to be set "
				       "(swap is memory+swap)");
	if (limit < 0)
		return berth_fail(err, "linux.resources.memory.limit: invalid value %" PRId64, limit);
	if (swap < limit)
		return berth_fail(err, "linux.resources.memory.swap: memory+swap limit %" PRId64
				       " is below the memory limit %" PRId64,
				  swap, limit);
	*out = swap - limit;
	return 0;
}

static int check_unified_key(const char *key, struct berth_error **err)
{
	const char *dot = strchr(key, '.');

	if (*key == '\0' || strchr(key, '/') || key[0] == '.' || dot == NULL || dot[1] == '\0')
		return berth_fail(err, "linux.resources.unified: '%s': expected a file name "
				       "CONTROLLER.PARAMETER",
				  key);
	if (strcmp(key, "cgroup.procs") == 0 || strcmp(key, "cgroup.threads") == 0 ||
	    strcmp(key, "cgroup.subtree_control") == 0 || strcmp(key, "cgroup.kill") == 0 ||
	    strcmp(key, "cgroup.freeze") == 0 || strcmp(key, "cgroup.type") == 0)
		return berth_fail(err, "linux.resources.unified: '%s' is not a resource", key);
	return 0;
}

int cgroup_v2_validate(const struct oci_resources *r, struct berth_error **err)
{
	const struct oci_memory *m = r->memory;
	const struct oci_cpu *c = r->cpu;
	const struct oci_block_io *b = r->block_io;
	int64_t swap;

	if (r->network && (r->network->has_class_id || r->network->priorities_len))
		return berth_fail(err, "linux.resources.network: classID and priorities need the "
				       "v1 net_cls/net_prio controllers, which cgroup v2 does not have");
	if (c && (c->has_realtime_runtime || c->has_realtime_period))
		return berth_fail(err, "linux.resources.cpu.realtimeRuntime/realtimePeriod: not "
				       "supported on cgroup v2");
	if (m && m->has_kernel)
		return berth_fail(err, "linux.resources.memory.kernel: not supported on cgroup v2");
	if (m && m->has_kernel_tcp)
		return berth_fail(err, "linux.resources.memory.kernelTCP: not supported on cgroup v2");
	if (m && m->has_swappiness)
		return berth_fail(err, "linux.resources.memory.swappiness: not supported on cgroup "
				       "v2");
	if (m && m->has_disable_oom_killer && m->disable_oom_killer)
		return berth_fail(err, "linux.resources.memory.disableOOMKiller: not supported on "
				       "cgroup v2");
	/* Swap alone (update) is checked against the limit in force when applied. */
	if (m && m->has_limit && swap_value(m, &swap, err) < 0)
		return -1;
	if (b && b->has_leaf_weight)
		return berth_fail(err, "linux.resources.blockIO.leafWeight: not supported on cgroup "
				       "v2");
	for (size_t i = 0; b && i < b->weight_device_len; i++)
		if (b->weight_device[i].has_leaf_weight)
			return berth_fail(err, "linux.resources.blockIO.weightDevice[%zu].leafWeight: "
					       "not supported on cgroup v2",
					  i);
	for (size_t i = 0; i < r->hugepage_limits_len; i++)
		if (r->hugepage_limits[i].page_size == NULL ||
		    cgroup_parse_page_size(r->hugepage_limits[i].page_size) < 0)
			return berth_fail(err, "linux.resources.hugepageLimits[%zu].pageSize: expected "
					       "a size like \"2MB\" or \"1GB\", got '%s'",
					  i, r->hugepage_limits[i].page_size);
	for (size_t i = 0; i < r->unified.len; i++)
		if (check_unified_key(r->unified.keys[i], err) < 0)
			return -1;
	return 0;
}

/* Enable in `dir`'s subtree_control every controller it offers and has not enabled yet. */
static int enable_controllers(const char *dir, struct berth_error **err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cgroup_dir d = { .dir = (char *)dir, .fd = fd };
	_cleanup_free_ char *offered = NULL, *enabled = NULL, *want = NULL;
	size_t len = 0;
	char *save = NULL;

	if (fd < 0)
		return berth_fail_errno(err, errno, "open cgroup '%s'", dir);
	if (cgroup_read(&d, "cgroup.controllers", &offered, err) < 0 ||
	    cgroup_read(&d, "cgroup.subtree_control", &enabled, err) < 0)
		return -1;
	want = calloc(1, strlen(offered) * 2 + 2);
	if (want == NULL)
		return berth_fail_errno(err, ENOMEM, "enable controllers in '%s'", dir);
	for (char *c = strtok_r(offered, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		char *hit = strstr(enabled, c);
		size_t cl = strlen(c);

		while (hit && !((hit == enabled || hit[-1] == ' ') &&
				(hit[cl] == ' ' || hit[cl] == '\0')))
			hit = strstr(hit + 1, c);
		if (hit)
			continue;
		len += (size_t)sprintf(want + len, "%s+%s", len ? " " : "", c);
	}
	if (len == 0)
		return 0;
	if (cgroup_write(&d, "cgroup.subtree_control", want, err) == 0)
		return 0;
	/* One controller the kernel refuses (e.g. a realtime task blocks cpu) must not cost the
	 * others; a resource that needs the missing one fails later, naming its file. */
	berth_error_free(*err);
	*err = NULL;
	save = NULL;
	for (char *c = strtok_r(want, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
		struct berth_error *ignored = NULL;

		cgroup_write(&d, "cgroup.subtree_control", c, &ignored);
		berth_error_free(ignored);
	}
	return 0;
}

int cgroup_v2_make(struct berth_cgroup *cg, struct berth_error **err)
{
	struct cgroup_dir *d = &cg->dirs[0];
	_cleanup_free_ char *walk = strdup(d->dir);
	size_t mlen = strlen(d->mount);
	pid_t *pids = NULL;
	size_t n = 0;

	if (walk == NULL)
		return berth_fail_errno(err, ENOMEM, "cgroup");
	if (access(d->dir, F_OK) == 0) {
		struct berth_error *ignored = NULL;

		cgroup_collect_pids(d->dir, &pids, &n, &ignored);
		berth_error_free(ignored);
		free(pids);
		if (n)
			return berth_fail(err, "cgroup '%s' already holds %zu processes", d->dir, n);
	}
	/* From the mount down to the parent: exist, and delegate controllers to the next. */
	for (char *p = walk + mlen;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (p > walk + mlen && cgroup_mkdir_p(cg, walk, err) < 0)
			return -1;
		if (saved == '\0')
			break;
		if (enable_controllers(walk, err) < 0)
			return -1;
		*p = saved;
	}
	d->fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return berth_fail_errno(err, errno, "open cgroup '%s'", d->dir);
	return 0;
}

/* -1 → "max"; 0 → not written. */
static int write_max(const struct cgroup_dir *d, const char *file, int64_t v,
		     struct berth_error **err)
{
	if (v == 0)
		return 0;
	if (v < 0)
		return cgroup_write(d, file, "max", err);
	return cgroup_writef(d, file, err, "%" PRId64, v);
}

static int apply_memory(const struct cgroup_dir *d, const struct oci_memory *req, bool update,
			struct berth_error **err)
{
	struct oci_memory cur = *req;
	const struct oci_memory *m = &cur;
	int64_t swap, limit = m->has_limit ? m->limit : 0;

	/* update --memory-swap alone: memory+swap is relative to the limit in force. */
	if (update && m->has_swap && !m->has_limit) {
		uint64_t max;

		if (cgroup_read_u64(d, "memory.max", &max, err) < 0)
			return berth_wrap(err, "linux.resources.memory.swap");
		cur.limit = max == UINT64_MAX ? -1 : (int64_t)max;
		cur.has_limit = true;
	}
	if (swap_value(m, &swap, err) < 0)
		return -1;
	if (update && m->check_before_update && limit > 0) {
		uint64_t usage;

		if (cgroup_read_u64(d, "memory.current", &usage, err) < 0)
			return -1;
		if (usage >= (uint64_t)limit)
			return berth_fail(err, "linux.resources.memory.limit: %" PRId64
					       " is not above the current usage %" PRIu64,
					  limit, usage);
	}
	if (swap != 0) {
		if (!cgroup_has_file(d, "memory.swap.max")) {
			if (swap > 0)
				return berth_fail(err, "linux.resources.memory.swap: this kernel has no "
						       "swap accounting (memory.swap.max)");
		} else if (write_max(d, "memory.swap.max", swap, err) < 0) {
			return berth_wrap(err, "linux.resources.memory.swap");
		}
	}
	if (write_max(d, "memory.max", limit, err) < 0)
		return berth_wrap(err, "linux.resources.memory.limit");
	if (m->has_reservation && write_max(d, "memory.low", m->reservation, err) < 0)
		return berth_wrap(err, "linux.resources.memory.reservation");
	return 0;
}

static int apply_cpu(const struct cgroup_dir *d, const struct oci_cpu *c, struct berth_error **err)
{
	bool idle = c->has_idle && c->idle != 0;

	if (c->has_idle && cgroup_writef(d, "cpu.idle", err, "%" PRId64, c->idle) < 0)
		return berth_wrap(err, "linux.resources.cpu.idle");
	/* An idle cgroup has no weight: the kernel refuses one. */
	if (!idle && c->has_shares && c->shares) {
		if (c->shares < 2 || c->shares > 262144)
			return berth_fail(err, "linux.resources.cpu.shares: %" PRIu64
					       " is outside 2..262144",
					  c->shares);
		if (cgroup_writef(d, "cpu.weight", err, "%" PRIu64,
				  cgroup_shares_to_weight(c->shares)) < 0)
			return berth_wrap(err, "linux.resources.cpu.shares");
	}
	if ((c->has_quota && c->quota) || (c->has_period && c->period)) {
		char value[64] = "max";
		size_t len;

		if (c->has_quota && c->quota > 0)
			snprintf(value, sizeof(value), "%" PRId64, c->quota);
		len = strlen(value);
		/* Without a period the kernel keeps the current one. */
		if (c->has_period && c->period)
			snprintf(value + len, sizeof(value) - len, " %" PRIu64, c->period);
		if (cgroup_write(d, "cpu.max", value, err) < 0)
			return berth_wrap(err, "linux.resources.cpu.quota/period");
	}
	if (c->has_burst && cgroup_writef(d, "cpu.max.burst", err, "%" PRIu64, c->burst) < 0)
		return berth_wrap(err, "linux.resources.cpu.burst");
	if (c->cpus && *c->cpus && cgroup_write(d, "cpuset.cpus", c->cpus, err) < 0)
		return berth_wrap(err, "linux.resources.cpu.cpus");
	if (c->mems && *c->mems && cgroup_write(d, "cpuset.mems", c->mems, err) < 0)
		return berth_wrap(err, "linux.resources.cpu.mems");
	return 0;
}

/* runc's ConvertBlkIOToIOWeightValue: blkio 10..1000 → io.weight 1..10000. */
static uint64_t blkio_to_io_weight(uint32_t w)
{
	if (w == 0)
		return 0;
	return 1 + ((uint64_t)w - 10) * 9999 / 990;
}

static int write_io_max(const struct cgroup_dir *d, const struct oci_throttle_device *t, size_t n,
			const char *key, const char *field, struct berth_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_writef(d, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				  t[i].major, t[i].minor, key, t[i].rate) < 0)
			return berth_wrap(err, "linux.resources.blockIO.%s[%zu]", field, i);
	return 0;
}

static int apply_io(const struct cgroup_dir *d, const struct oci_block_io *b,
		    struct berth_error **err)
{
	bool bfq = cgroup_has_file(d, "io.bfq.weight");

	if (b->has_weight && b->weight) {
		if (b->weight < 10 || b->weight > 1000)
			return berth_fail(err, "linux.resources.blockIO.weight: %u is outside 10..1000",
					  b->weight);
		if (bfq ? cgroup_writef(d, "io.bfq.weight", err, "%u", b->weight)
			: cgroup_writef(d, "io.weight", err, "%" PRIu64, blkio_to_io_weight(b->weight)))
			return berth_wrap(err, "linux.resources.blockIO.weight");
	}
	for (size_t i = 0; i < b->weight_device_len; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		int r;

		if (!w->has_weight)
			continue;
		if (bfq)
			r = cgroup_writef(d, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u",
					  w->major, w->minor, w->weight);
		else
			r = cgroup_writef(d, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					  w->major, w->minor, blkio_to_io_weight(w->weight));
		if (r < 0)
			return berth_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
	}
	if (write_io_max(d, b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps",
			 "throttleReadBpsDevice", err) < 0 ||
	    write_io_max(d, b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps",
			 "throttleWriteBpsDevice", err) < 0 ||
	    write_io_max(d, b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops",
			 "throttleReadIOPSDevice", err) < 0 ||
	    write_io_max(d, b->throttle_write_iops_device, b->throttle_write_iops_device_len,
			 "wiops", "throttleWriteIOPSDevice", err) < 0)
		return -1;
	return 0;
}

static int apply_hugetlb(const struct cgroup_dir *d, const struct oci_resources *r,
			 struct berth_error **err)
{
	for (size_t i = 0; i < r->hugepage_limits_len; i++) {
		const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		char file[128], rsvd[128];

		snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
		snprintf(rsvd, sizeof(rsvd), "hugetlb.%s.rsvd.max", h->page_size);
		if (!cgroup_has_file(d, file))
			return berth_fail(err, "linux.resources.hugepageLimits[%zu]: page size '%s' "
					       "is not supported here (no '%s/%s')",
					  i, h->page_size, d->dir, file);
		if (cgroup_writef(d, file, err, "%" PRIu64, h->limit) < 0)
			return berth_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
		if (cgroup_has_file(d, rsvd) && cgroup_writef(d, rsvd, err, "%" PRIu64, h->limit) < 0)
			return berth_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
	}
	return 0;
}

static int apply_unified(const struct cgroup_dir *d, const struct oci_map *u,
			 struct berth_error **err)
{
	for (size_t i = 0; i < u->len; i++) {
		const char *key = u->keys[i];

		if (!cgroup_has_file(d, key)) {
			_cleanup_free_ char *ctrl = strndup(key, strcspn(key, "."));

			return berth_fail(err, "linux.resources.unified: '%s': no such file in '%s' "
					       "(is the %s controller available?)",
					  key, d->dir, ctrl ? ctrl : key);
		}
		if (cgroup_write(d, key, u->values[i], err) < 0)
			return berth_wrap(err, "linux.resources.unified");
	}
	return 0;
}

int cgroup_v2_apply(struct berth_cgroup *cg, const struct oci_resources *r,
		    const struct cgroup_dev_rule *rules, size_t n_rules, bool update,
		    struct berth_error **err)
{
	const struct cgroup_dir *d = &cg->dirs[0];

	if (r->pids && r->pids->has_limit && r->pids->limit != 0 &&
	    write_max(d, "pids.max", r->pids->limit, err) < 0)
		return berth_wrap(err, "linux.resources.pids.limit");
	if (r->memory && apply_memory(d, r->memory, update, err) < 0)
		return -1;
	if (r->block_io && apply_io(d, r->block_io, err) < 0)
		return -1;
	if (r->cpu && apply_cpu(d, r->cpu, err) < 0)
		return -1;
	if (apply_hugetlb(d, r, err) < 0 || cgroup_apply_rdma(d, r, err) < 0 ||
	    apply_unified(d, &r->unified, err) < 0)
		return -1;
	if (rules && cgroup_bpf_apply_devices(d->fd, rules, n_rules, err) < 0)
		return berth_wrap(err, "linux.resources.devices");
	return 0;
}

int cgroup_v2_freeze(struct cgroup_dir *d, bool frozen, struct berth_error **err)
{
	struct timespec ts = { 0, 1000000 };

	if (cgroup_write(d, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	/* The write only asks; cgroup.events says when every task has stopped (or resumed).
	 * Under emulation this can take seconds. */
	for (int i = 0; i < 300; i++) {
		uint64_t state;

		if (cgroup_read_key(d, "cgroup.events", "frozen", &state, err) < 0)
			return -1;
		if ((state == 1) == frozen)
			return 0;
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 50000000)
			ts.tv_nsec *= 2;
	}
	return berth_fail(err, "'%s/cgroup.events' did not report frozen %d", d->dir, frozen);
}
