/*
 * The cgroup v1 driver (v1 and hybrid hosts): one directory per hierarchy, each configured
 * from linux.resources through that controller's files, the way runc's fs driver does it:
 * memory, cpu, cpuacct, cpuset, pids, blkio, hugetlb, devices, freezer, net_cls, net_prio,
 * rdma; the named systemd hierarchy (and the unified one on hybrid hosts) is only joined.
 * A field whose controller is not mounted is an error, never silently dropped. `unified` needs
 * v2 and is refused. This file must never write outside the container's directories, except
 * cpuset.cpus/mems of a parent that has none (a cpuset without them cannot hold a task).
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

static int need(struct berth_cgroup *cg, const char *controller, const char *field,
		struct cgroup_dir **out, struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, controller);

	if (d == NULL)
		return berth_fail(err, "%s: the %s cgroup controller is not mounted on this host",
				  field, controller);
	if (out)
		*out = d;
	return 0;
}

static bool cpu_set(const struct oci_cpu *c)
{
	return c && (c->has_shares || c->has_quota || c->has_period || c->has_burst ||
		     c->has_realtime_runtime || c->has_realtime_period || c->has_idle);
}

static bool blkio_set(const struct oci_block_io *b)
{
	return b && (b->has_weight || b->has_leaf_weight || b->weight_device_len ||
		     b->throttle_read_bps_device_len || b->throttle_write_bps_device_len ||
		     b->throttle_read_iops_device_len || b->throttle_write_iops_device_len);
}

int cgroup_v1_validate(struct berth_cgroup *cg, const struct oci_resources *r,
		       struct berth_error **err)
{
	const struct oci_memory *m = r->memory;

	if (r->unified.len)
		return berth_fail(err, "linux.resources.unified: needs cgroup v2, this host uses "
				       "cgroup v1 controllers");
	if (m && need(cg, "memory", "linux.resources.memory", NULL, err) < 0)
		return -1;
	if (m && m->has_swap && m->has_limit && m->swap != -1 && m->limit > 0 &&
	    m->swap > 0 && m->swap < m->limit)
		return berth_fail(err, "linux.resources.memory.swap: memory+swap limit %" PRId64
				       " is below the memory limit %" PRId64,
				  m->swap, m->limit);
	if (m && m->has_swappiness && m->swappiness > 100)
		return berth_fail(err, "linux.resources.memory.swappiness: %" PRIu64
				       " is above 100",
				  m->swappiness);
	if (cpu_set(r->cpu) && need(cg, "cpu", "linux.resources.cpu", NULL, err) < 0)
		return -1;
	if (r->cpu && (r->cpu->cpus || r->cpu->mems) &&
	    need(cg, "cpuset", "linux.resources.cpu.cpus/mems", NULL, err) < 0)
		return -1;
	if (r->pids && r->pids->has_limit && need(cg, "pids", "linux.resources.pids", NULL, err) < 0)
		return -1;
	if (blkio_set(r->block_io) && need(cg, "blkio", "linux.resources.blockIO", NULL, err) < 0)
		return -1;
	if (r->hugepage_limits_len &&
	    need(cg, "hugetlb", "linux.resources.hugepageLimits", NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < r->hugepage_limits_len; i++)
		if (r->hugepage_limits[i].page_size == NULL ||
		    cgroup_parse_page_size(r->hugepage_limits[i].page_size) < 0)
			return berth_fail(err, "linux.resources.hugepageLimits[%zu].pageSize: expected "
					       "a size like \"2MB\" or \"1GB\", got '%s'",
					  i, r->hugepage_limits[i].page_size);
	if (r->network && r->network->has_class_id &&
	    need(cg, "net_cls", "linux.resources.network.classID", NULL, err) < 0)
		return -1;
	if (r->network && r->network->priorities_len &&
	    need(cg, "net_prio", "linux.resources.network.priorities", NULL, err) < 0)
		return -1;
	if (r->rdma_len && need(cg, "rdma", "linux.resources.rdma", NULL, err) < 0)
		return -1;
	if (r->devices_len && need(cg, "devices", "linux.resources.devices", NULL, err) < 0)
		return -1;
	return 0;
}

static bool made_here(const struct berth_cgroup *cg, const char *dir)
{
	for (size_t i = 0; i < cg->n_created; i++)
		if (strcmp(cg->created[i], dir) == 0)
			return true;
	return false;
}

/* `file` of the directory above `dir`. */
static int read_parent(const char *dir, const char *file, char **out, struct berth_error **err)
{
	_cleanup_free_ char *parent = strndup(dir, (size_t)(strrchr(dir, '/') - dir));
	_cleanup_close_ int fd = -1;
	struct cgroup_dir d;

	if (parent == NULL)
		return berth_fail_errno(err, ENOMEM, "cpuset");
	fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_fail_errno(err, errno, "open cpuset '%s'", parent);
	d = (struct cgroup_dir){ .dir = parent, .fd = fd };
	return cgroup_read(&d, file, out, err);
}

/* One level of cpuset_fill_parents: `above` holds what the level above has (NULL: not read
 * yet) and is updated to what this level ends up with. `leaf` is the container's own
 * directory, already open, when `dir` is it. */
static int fill_level(const struct berth_cgroup *cg, char *dir, const struct cgroup_dir *leaf,
		      char *above[2], struct berth_error **err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	_cleanup_close_ int fd = leaf ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cgroup_dir cur = { .dir = dir, .fd = leaf ? leaf->fd : fd };
	/* Made by this create: empty, or its parent's values already (clone_children). */
	bool fresh = made_here(cg, dir);

	if (cur.fd < 0)
		return berth_fail_errno(err, errno, "open cpuset '%s'", dir);
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *mine = NULL;

		if (!fresh && cgroup_read(&cur, files[i], &mine, err) < 0)
			return -1;
		if (mine && *mine) {
			free(above[i]);
			above[i] = steal_pointer(&mine);
			continue;
		}
		if (above[i] == NULL && read_parent(dir, files[i], &above[i], err) < 0)
			return -1;
		if (cgroup_write(&cur, files[i], above[i], err) < 0)
			return -1;
	}
	return 0;
}

/* A new cpuset has no cpus and mems and refuses tasks: from the top, each level without them
 * takes its parent's. What a level holds is carried down to the next, so a parent is read
 * only above the first level. */
static int cpuset_fill_parents(const struct berth_cgroup *cg, const struct cgroup_dir *d,
			       struct berth_error **err)
{
	_cleanup_free_ char *walk = strdup(d->dir);
	char *above[2] = { NULL, NULL };
	int r = -1;

	if (walk == NULL)
		return berth_fail_errno(err, ENOMEM, "cpuset");
	for (char *p = walk + strlen(d->mount) + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (fill_level(cg, walk, saved == '\0' ? d : NULL, above, err) < 0)
			goto out;
		if (saved == '\0')
			break;
		*p = saved;
	}
	r = 0;
out:
	free(above[0]);
	free(above[1]);
	return r;
}

int cgroup_v1_make(struct berth_cgroup *cg, struct berth_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		struct cgroup_dir *d = &cg->dirs[i];
		int made = cgroup_mkdir_p(cg, d->dir, err);

		if (made < 0)
			return -1;
		/* Reusing an existing cgroup is fine (runc does), one with processes is not. */
		if (!made) {
			struct berth_error *ignored = NULL;
			pid_t *pids = NULL;
			size_t n = 0;

			cgroup_collect_pids(d->dir, &pids, &n, &ignored);
			berth_error_free(ignored);
			free(pids);
			if (n)
				return berth_fail(err, "cgroup '%s' already holds %zu processes", d->dir,
						  n);
		}
		d->fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d->fd < 0)
			return berth_fail_errno(err, errno, "open cgroup '%s'", d->dir);
		if (strcmp(d->controllers, "cpuset") == 0 && cpuset_fill_parents(cg, d, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- memory ------------------------------------------------------------------------------ */

static int write_limit(const struct cgroup_dir *d, const char *file, int64_t v,
		       struct berth_error **err)
{
	if (cgroup_writef(d, file, err, "%" PRId64, v < 0 ? -1 : v) < 0) {
		uint64_t usage = 0;
		struct berth_error *ignored = NULL;

		if ((*err)->errnum == EBUSY &&
		    cgroup_read_u64(d, "memory.usage_in_bytes", &usage, &ignored) == 0)
			berth_wrap(err, "current usage %" PRIu64 " is above %" PRId64, usage, v);
		berth_error_free(ignored);
		return -1;
	}
	return 0;
}

/* Linux 6.1+ accepts writes to memory.kmem.limit_in_bytes and ignores them (the file is
 * deprecated): a limit that did not stick is an error, not a silently lost limit. */
static int write_kmem(const struct cgroup_dir *d, int64_t v, struct berth_error **err)
{
	uint64_t got;

	if (!cgroup_has_file(d, "memory.kmem.limit_in_bytes"))
		return v < 0 ? 0 : berth_fail(err, "this kernel has no kernel memory accounting");
	if (write_limit(d, "memory.kmem.limit_in_bytes", v, err) < 0 ||
	    cgroup_read_u64(d, "memory.kmem.limit_in_bytes", &got, err) < 0)
		return -1;
	/* The kernel rounds down to whole pages. */
	if (v > 0 && got > (uint64_t)v)
		return berth_fail(err, "%" PRId64 " was ignored: this kernel no longer enforces "
				       "kernel memory limits (use memory.limit)",
				  v);
	return 0;
}

static int apply_memory(struct berth_cgroup *cg, const struct oci_memory *m, bool update,
			struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "memory");
	int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
	bool have_swap = cgroup_has_file(d, "memory.memsw.limit_in_bytes");

	if (update && m->check_before_update && limit > 0) {
		uint64_t usage;

		if (cgroup_read_u64(d, "memory.usage_in_bytes", &usage, err) < 0)
			return -1;
		if (usage >= (uint64_t)limit)
			return berth_fail(err, "linux.resources.memory.limit: %" PRId64
					       " is not above the current usage %" PRIu64,
					  limit, usage);
	}
	/* Unlimited memory with swap unset means unlimited swap too (runc). */
	if (limit == -1 && swap == 0 && have_swap)
		swap = -1;
	if (swap != 0 && !have_swap)
		return berth_fail(err, "linux.resources.memory.swap: this kernel has no swap "
				       "accounting (memory.memsw.limit_in_bytes)");
	/* memory.limit_in_bytes must stay <= memsw.limit_in_bytes at every step. */
	if (limit != 0 && swap != 0) {
		uint64_t cur;

		if (cgroup_read_u64(d, "memory.limit_in_bytes", &cur, err) < 0)
			return -1;
		if (swap == -1 || cur < (uint64_t)swap) {
			if (write_limit(d, "memory.memsw.limit_in_bytes", swap, err) < 0)
				return berth_wrap(err, "linux.resources.memory.swap");
			swap = 0;
		}
	}
	if (limit != 0 && write_limit(d, "memory.limit_in_bytes", limit, err) < 0) {
		uint64_t memsw = 0;
		struct berth_error *ignored = NULL;

		/* The kernel refuses a memory limit above memory+swap with a bare EINVAL. */
		if ((*err)->errnum == EINVAL && have_swap && swap == 0 &&
		    cgroup_read_u64(d, "memory.memsw.limit_in_bytes", &memsw, &ignored) == 0 &&
		    limit > 0 && (uint64_t)limit > memsw) {
			berth_error_free(*err);
			*err = NULL;
			berth_error_free(ignored);
			return berth_fail(err, "linux.resources.memory.limit: %" PRId64
					       " is above the memory+swap limit %" PRIu64
					       "; raise memory.swap (--memory-swap) with it",
					  limit, memsw);
		}
		berth_error_free(ignored);
		return berth_wrap(err, "linux.resources.memory.limit");
	}
	if (swap != 0 && write_limit(d, "memory.memsw.limit_in_bytes", swap, err) < 0)
		return berth_wrap(err, "linux.resources.memory.swap");
	if (m->has_reservation &&
	    write_limit(d, "memory.soft_limit_in_bytes", m->reservation, err) < 0)
		return berth_wrap(err, "linux.resources.memory.reservation");
	if (m->has_kernel && write_kmem(d, m->kernel, err) < 0)
		return berth_wrap(err, "linux.resources.memory.kernel");
	if (m->has_kernel_tcp &&
	    write_limit(d, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, err) < 0)
		return berth_wrap(err, "linux.resources.memory.kernelTCP");
	if (m->has_swappiness &&
	    cgroup_writef(d, "memory.swappiness", err, "%" PRIu64, m->swappiness) < 0)
		return berth_wrap(err, "linux.resources.memory.swappiness");
	if (m->has_disable_oom_killer &&
	    cgroup_write(d, "memory.oom_control", m->disable_oom_killer ? "1" : "0", err) < 0)
		return berth_wrap(err, "linux.resources.memory.disableOOMKiller");
	if (m->has_use_hierarchy &&
	    cgroup_write(d, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0", err) < 0) {
		/* Linux 5.11+ always uses the hierarchy and refuses "0" with EINVAL. */
		if (!m->use_hierarchy && (*err)->errnum == EINVAL) {
			berth_error_free(*err);
			*err = NULL;
			return berth_fail(err, "linux.resources.memory.useHierarchy: false is not "
					       "supported, this kernel always uses the hierarchy");
		}
		return berth_wrap(err, "linux.resources.memory.useHierarchy");
	}
	return 0;
}

/* ---- cpu, cpuset, pids -------------------------------------------------------------------- */

static int apply_cpu(struct berth_cgroup *cg, const struct oci_cpu *c, struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "cpu");

	/* runc: 0 means unset (dockerd writes "shares": 0 for every container). */
	if (c->has_shares && c->shares) {
		uint64_t got;

		if (cgroup_writef(d, "cpu.shares", err, "%" PRIu64, c->shares) < 0 ||
		    cgroup_read_u64(d, "cpu.shares", &got, err) < 0)
			return berth_wrap(err, "linux.resources.cpu.shares");
		/* The kernel clamps silently; say so instead. */
		if (got != c->shares)
			return berth_fail(err, "linux.resources.cpu.shares: %" PRIu64
					       " is out of range (the kernel made it %" PRIu64 ")",
					  c->shares, got);
	}
	/* A quota must fit the period; order the writes so both old/new pairs are valid. */
	if (c->has_period && c->period &&
	    cgroup_writef(d, "cpu.cfs_period_us", err, "%" PRIu64, c->period) < 0) {
		if ((*err)->errnum != EINVAL || !c->has_quota)
			return berth_wrap(err, "linux.resources.cpu.period");
		if (cgroup_writef(d, "cpu.cfs_quota_us", err, "%" PRId64, c->quota) < 0 ||
		    cgroup_writef(d, "cpu.cfs_period_us", err, "%" PRIu64, c->period) < 0)
			return berth_wrap(err, "linux.resources.cpu.quota/period");
	}
	if (c->has_quota && c->quota &&
	    cgroup_writef(d, "cpu.cfs_quota_us", err, "%" PRId64, c->quota < 0 ? -1 : c->quota) < 0)
		return berth_wrap(err, "linux.resources.cpu.quota");
	if (c->has_burst && cgroup_writef(d, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst) < 0)
		return berth_wrap(err, "linux.resources.cpu.burst");
	if (c->has_realtime_period &&
	    cgroup_writef(d, "cpu.rt_period_us", err, "%" PRIu64, c->realtime_period) < 0)
		return berth_wrap(err, "linux.resources.cpu.realtimePeriod");
	if (c->has_realtime_runtime &&
	    cgroup_writef(d, "cpu.rt_runtime_us", err, "%" PRId64, c->realtime_runtime) < 0)
		return berth_wrap(err, "linux.resources.cpu.realtimeRuntime");
	if (c->has_idle && cgroup_writef(d, "cpu.idle", err, "%" PRId64, c->idle) < 0)
		return berth_wrap(err, "linux.resources.cpu.idle");
	return 0;
}

static int apply_cpuset(struct berth_cgroup *cg, const struct oci_cpu *c,
			struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "cpuset");

	if (c->cpus && *c->cpus && cgroup_write(d, "cpuset.cpus", c->cpus, err) < 0)
		return berth_wrap(err, "linux.resources.cpu.cpus");
	if (c->mems && *c->mems && cgroup_write(d, "cpuset.mems", c->mems, err) < 0)
		return berth_wrap(err, "linux.resources.cpu.mems");
	return 0;
}

static int apply_pids(struct berth_cgroup *cg, const struct oci_pids *p, struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "pids");
	int r;

	if (p->limit == 0) /* runc: 0 means unset */
		return 0;
	if (p->limit < 0)
		r = cgroup_write(d, "pids.max", "max", err);
	else
		r = cgroup_writef(d, "pids.max", err, "%" PRId64, p->limit);
	return r < 0 ? berth_wrap(err, "linux.resources.pids.limit") : 0;
}

/* ---- blkio ----------------------------------------------------------------------------------- */

/* BFQ kernels name the weight files blkio.bfq.*, CFQ ones blkio.*. */
static const char *weight_file(const struct cgroup_dir *d, const char *cfq, const char *bfq)
{
	if (cgroup_has_file(d, cfq))
		return cfq;
	if (cgroup_has_file(d, bfq))
		return bfq;
	return NULL;
}

static int write_throttle(const struct cgroup_dir *d, const char *file,
			  const struct oci_throttle_device *t, size_t n, const char *field,
			  struct berth_error **err)
{
	for (size_t i = 0; i < n; i++)
		if (cgroup_writef(d, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
				  t[i].minor, t[i].rate) < 0)
			return berth_wrap(err, "linux.resources.blockIO.%s[%zu]", field, i);
	return 0;
}

static int apply_blkio(struct berth_cgroup *cg, const struct oci_block_io *b,
		       struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "blkio");
	const char *wf = weight_file(d, "blkio.weight", "blkio.bfq.weight");
	const char *wdf = weight_file(d, "blkio.weight_device", "blkio.bfq.weight_device");

	/* runc: a weight of 0 means unset (dockerd writes "weight": 0 for every container). */
	if (b->has_weight && b->weight) {
		if (wf == NULL)
			return berth_fail(err, "linux.resources.blockIO.weight: the kernel's blkio "
					       "controller has no weight (no CFQ or BFQ scheduler)");
		if (cgroup_writef(d, wf, err, "%u", b->weight) < 0)
			return berth_wrap(err, "linux.resources.blockIO.weight");
	}
	if (b->has_leaf_weight && b->leaf_weight && !cgroup_has_file(d, "blkio.leaf_weight"))
		return berth_fail(err, "linux.resources.blockIO.leafWeight: the kernel's blkio "
				       "controller has no leaf weight (CFQ only, gone since Linux 5.0)");
	if (b->has_leaf_weight && b->leaf_weight &&
	    cgroup_writef(d, "blkio.leaf_weight", err, "%u", b->leaf_weight) < 0)
		return berth_wrap(err, "linux.resources.blockIO.leafWeight");
	for (size_t i = 0; i < b->weight_device_len; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];

		if (w->has_weight && wdf == NULL)
			return berth_fail(err, "linux.resources.blockIO.weightDevice[%zu]: the "
					       "kernel's blkio controller has no per-device weight",
					  i);
		if (w->has_weight && cgroup_writef(d, wdf, err, "%" PRId64 ":%" PRId64 " %u",
						   w->major, w->minor, w->weight) < 0)
			return berth_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
		if (w->has_leaf_weight &&
		    cgroup_writef(d, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u",
				  w->major, w->minor, w->leaf_weight) < 0)
			return berth_wrap(err, "linux.resources.blockIO.weightDevice[%zu]", i);
	}
	if (write_throttle(d, "blkio.throttle.read_bps_device", b->throttle_read_bps_device,
			   b->throttle_read_bps_device_len, "throttleReadBpsDevice", err) < 0 ||
	    write_throttle(d, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
			   b->throttle_write_bps_device_len, "throttleWriteBpsDevice", err) < 0 ||
	    write_throttle(d, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
			   b->throttle_read_iops_device_len, "throttleReadIOPSDevice", err) < 0 ||
	    write_throttle(d, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
			   b->throttle_write_iops_device_len, "throttleWriteIOPSDevice", err) < 0)
		return -1;
	return 0;
}

/* ---- hugetlb, network, rdma ------------------------------------------------------------------- */

static int apply_hugetlb(struct berth_cgroup *cg, const struct oci_resources *r,
			 struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "hugetlb");

	for (size_t i = 0; i < r->hugepage_limits_len; i++) {
		const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		char file[128], rsvd[128];

		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes", h->page_size);
		snprintf(rsvd, sizeof(rsvd), "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
		if (!cgroup_has_file(d, file))
			return berth_fail(err, "linux.resources.hugepageLimits[%zu]: page size '%s' "
					       "is not supported by this kernel",
					  i, h->page_size);
		if (cgroup_writef(d, file, err, "%" PRIu64, h->limit) < 0)
			return berth_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
		/* Reservations count too (runc sets both when the kernel has them). */
		if (cgroup_has_file(d, rsvd) && cgroup_writef(d, rsvd, err, "%" PRIu64, h->limit) < 0)
			return berth_wrap(err, "linux.resources.hugepageLimits[%zu]", i);
	}
	return 0;
}

static int apply_network(struct berth_cgroup *cg, const struct oci_network *n,
			 struct berth_error **err)
{
	if (n->has_class_id &&
	    cgroup_writef(cgroup_find_dir(cg, "net_cls"), "net_cls.classid", err, "%u",
			  n->class_id) < 0)
		return berth_wrap(err, "linux.resources.network.classID");
	for (size_t i = 0; i < n->priorities_len; i++)
		if (cgroup_writef(cgroup_find_dir(cg, "net_prio"), "net_prio.ifpriomap", err,
				  "%s %u", n->priorities[i].name, n->priorities[i].priority) < 0)
			return berth_wrap(err, "linux.resources.network.priorities[%zu]", i);
	return 0;
}

/* ---- devices ----------------------------------------------------------------------------------- */

static void format_rule(char *buf, size_t len, char type, const struct cgroup_dev_rule *r)
{
	char major[24] = "*", minor[24] = "*", acc[4];
	size_t k = 0;

	if (r->major >= 0)
		snprintf(major, sizeof(major), "%" PRId64, r->major);
	if (r->minor >= 0)
		snprintf(minor, sizeof(minor), "%" PRId64, r->minor);
	if (r->access & CGROUP_DEV_READ)
		acc[k++] = 'r';
	if (r->access & CGROUP_DEV_WRITE)
		acc[k++] = 'w';
	if (r->access & CGROUP_DEV_MKNOD)
		acc[k++] = 'm';
	acc[k] = '\0';
	snprintf(buf, len, "%c %s:%s %s", type, major, minor, acc);
}

/* The kernel keeps a default (allow or deny) and a list of exceptions to it; a rule against
 * the default removes only the exception with exactly its type and numbers. So a rule that
 * would punch a hole in a wildcard exception ("allow c 10:* rwm" then "deny c 10:229 rwm") is
 * silently ignored by v1. Replay the rules on a model of that list first and refuse such a
 * list, as runc does, rather than leave a device open that config.json denies. */
struct dev_exception {
	char type;
	int64_t major, minor;
	unsigned access;
};

static bool overlaps(const struct dev_exception *e, char type, const struct cgroup_dev_rule *r)
{
	return e->type == type && (e->major == -1 || e->major == r->major) &&
	       (e->minor == -1 || e->minor == r->minor) && (e->access & r->access);
}

static int check_device_rules(const struct cgroup_dev_rule *rules, size_t n,
			      struct berth_error **err)
{
	_cleanup_free_ struct dev_exception *list = calloc(2 * n + 1, sizeof(*list));
	size_t len = 0;
	bool default_allow = false;

	if (list == NULL)
		return berth_fail_errno(err, ENOMEM, "linux.resources.devices");
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_dev_rule *r = &rules[i];

		if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == 7) {
			default_allow = r->allow;
			len = 0;
			continue;
		}
		for (const char *t = r->type == 'a' ? "bc" : &r->type; *t; t++) {
			size_t k;

			if (r->allow != default_allow) { /* a new or widened exception */
				for (k = 0; k < len; k++)
					if (list[k].type == *t && list[k].major == r->major &&
					    list[k].minor == r->minor)
						break;
				if (k == len)
					list[len++] = (struct dev_exception){ *t, r->major, r->minor, 0 };
				list[k].access |= r->access;
			} else { /* removes exactly one exception's access bits */
				for (k = 0; k < len; k++) {
					bool exact = list[k].major == r->major &&
						     list[k].minor == r->minor;

					if (list[k].type != *t)
						continue;
					if (exact)
						list[k].access &= ~r->access;
					else if (overlaps(&list[k], *t, r))
						return berth_fail(err, "linux.resources.devices[%zu]: "
								       "cgroup v1 cannot %s part of an "
								       "earlier rule with wildcard "
								       "numbers",
								  i, r->allow ? "allow" : "deny");
				}
			}
			if (r->type != 'a')
				break;
		}
	}
	return 0;
}

/* One rule, written to devices.allow or devices.deny through an fd opened on first use: the
 * kernel takes one rule per write, so the file need not be reopened for each. */
struct rule_files {
	const struct cgroup_dir *d;
	int allow, deny;
};

static int write_rule(struct rule_files *f, bool allow, const char *rule,
		      struct berth_error **err)
{
	const char *file = allow ? "devices.allow" : "devices.deny";
	int *fd = allow ? &f->allow : &f->deny;
	size_t len = strlen(rule);
	ssize_t n;

	if (*fd < 0 && (*fd = cgroup_open_file(f->d, file, O_WRONLY, err)) < 0)
		return -1;
	n = write(*fd, rule, len);
	if (n < 0)
		return berth_fail_errno(err, errno, "write '%s' to '%s/%s'", rule, f->d->dir, file);
	if ((size_t)n != len)
		return berth_fail(err, "write '%s' to '%s/%s': short write", rule, f->d->dir, file);
	return 0;
}

/* Replay the rules in order: the kernel's list then ends in the same state, a rule for
 * every type and number ("a") resetting it as the OCI order says. */
static int replay_rules(struct rule_files *f, const struct cgroup_dev_rule *rules, size_t n,
			struct berth_error **err)
{
	bool written = false;

	/* Everything denied, no exception: the state every rule list starts from. */
	if (write_rule(f, false, "a", err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_dev_rule *r = &rules[i];
		char buf[80];

		if (r->access == 0)
			continue;
		if (r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == 7) {
			/* A deny-all before any other rule resets to where we already are. */
			if (!r->allow && !written)
				continue;
			if (write_rule(f, r->allow, "a", err) < 0)
				return -1;
			written = true;
			continue;
		}
		for (const char *t = r->type == 'a' ? "bc" : &r->type; *t; t++) {
			format_rule(buf, sizeof(buf), *t, r);
			if (write_rule(f, r->allow, buf, err) < 0)
				return -1;
			written = true;
			if (r->type != 'a')
				break;
		}
	}
	return 0;
}

static int apply_devices(const struct cgroup_dir *d, const struct cgroup_dev_rule *rules,
			 size_t n, struct berth_error **err)
{
	struct rule_files f = { .d = d, .allow = -1, .deny = -1 };
	int r;

	if (check_device_rules(rules, n, err) < 0)
		return -1;
	r = replay_rules(&f, rules, n, err);
	if (f.allow >= 0)
		close(f.allow);
	if (f.deny >= 0)
		close(f.deny);
	return r < 0 ? berth_wrap(err, "linux.resources.devices") : 0;
}

int cgroup_v1_apply(struct berth_cgroup *cg, const struct oci_resources *r,
		    const struct cgroup_dev_rule *rules, size_t n_rules, bool update,
		    struct berth_error **err)
{
	struct cgroup_dir *devices = cgroup_find_dir(cg, "devices");

	if (r->memory && apply_memory(cg, r->memory, update, err) < 0)
		return -1;
	if (cpu_set(r->cpu) && apply_cpu(cg, r->cpu, err) < 0)
		return -1;
	if (r->cpu && (r->cpu->cpus || r->cpu->mems) && apply_cpuset(cg, r->cpu, err) < 0)
		return -1;
	if (r->pids && r->pids->has_limit && apply_pids(cg, r->pids, err) < 0)
		return -1;
	if (blkio_set(r->block_io) && apply_blkio(cg, r->block_io, err) < 0)
		return -1;
	if (r->hugepage_limits_len && apply_hugetlb(cg, r, err) < 0)
		return -1;
	if (r->network && apply_network(cg, r->network, err) < 0)
		return -1;
	if (r->rdma_len && cgroup_apply_rdma(cgroup_find_dir(cg, "rdma"), r, err) < 0)
		return -1;
	if (rules && devices && apply_devices(devices, rules, n_rules, err) < 0)
		return -1;
	return 0;
}

int cgroup_v1_freeze(struct berth_cgroup *cg, bool frozen, struct berth_error **err)
{
	struct cgroup_dir *d = cgroup_find_dir(cg, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	struct timespec ts = { 0, 1000000 };

	if (d == NULL)
		return berth_fail(err, "the freezer cgroup controller is not mounted on this host");
	/* FREEZING can stall on a task in an uninterruptible sleep: keep asking for ~2 s. */
	for (int i = 0; i < 2000; i++) {
		_cleanup_free_ char *state = NULL;

		if (cgroup_write(d, "freezer.state", want, err) < 0 ||
		    cgroup_read(d, "freezer.state", &state, err) < 0)
			return -1;
		if (strcmp(state, want) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	if (frozen) {
		struct berth_error *ignored = NULL;

		cgroup_write(d, "freezer.state", "THAWED", &ignored);
		berth_error_free(ignored);
	}
	return berth_fail(err, "'%s/freezer.state' did not become %s", d->dir, want);
}
