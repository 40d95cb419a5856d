/*
 * probe-sched: how the kernel schedules the process and places its memory — oom_score_adj,
 * personality, CPU affinity, scheduler policy, I/O priority, NUMA policy — spelled with the
 * names the runtime-spec uses. Query calls only: nothing here may set what it reads.
 */
#include "config.h"

#include "probe.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The runtime-spec spells policies, flags and classes with these kernel names. */
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

void probe_write_oom_score_adj(struct probe *p)
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

void probe_write_personality(struct probe *p)
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

void probe_write_cpu_affinity(struct probe *p)
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

void probe_write_scheduler(struct probe *p)
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

void probe_write_ioprio(struct probe *p)
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

void probe_write_mempolicy(struct probe *p)
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
