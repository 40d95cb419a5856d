/*
 * Scheduling of the container's process: policy, nice, priority and deadline parameters with
 * sched_setattr (glibc 2.36 has no wrapper), the I/O priority with ioprio_set, and CPU
 * affinity lists ("0-3,7") with sched_setaffinity.
 * The checks mirror runc's so a config refused by one is refused by the other; what the
 * kernel still refuses (an RT policy in a cgroup without RT budget, say) is reported with
 * the field's name and the kernel's errno.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "process-sched.h"

/* linux/sched/types.h cannot be included next to glibc's <sched.h> (struct sched_param twice);
 * this is its VER1 layout (56 bytes, with the utilization clamps). */
struct sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

#define SCHED_POLICY_ISO 4 /* in the spec for completeness; no Linux kernel implements it */

static const struct named_value {
	const char *name;
	int value;
} policies[] = {
	{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
	{ "SCHED_RR", SCHED_RR },	{ "SCHED_BATCH", SCHED_BATCH },
	{ "SCHED_ISO", SCHED_POLICY_ISO }, { "SCHED_IDLE", SCHED_IDLE },
	{ "SCHED_DEADLINE", SCHED_DEADLINE },
}, sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
	{ "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
	{ "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
	{ "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
	{ "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
	{ "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
}, io_classes[] = {
	{ "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
	{ "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
	{ "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

static int lookup(const struct named_value *table, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].value;
	return -1;
}

#define LOOKUP(table, key) lookup((table), sizeof(table) / sizeof((table)[0]), (key))

static int build_attr(const struct oci_scheduler *s, struct sched_attr *attr,
		      struct berth_error **err)
{
	int policy = LOOKUP(policies, s->policy);
	size_t i;

	if (s->policy == NULL)
		return berth_fail(err, "process.scheduler.policy: required");
	if (policy < 0)
		return berth_fail(err, "process.scheduler.policy: unknown policy '%s'", s->policy);
	if (policy == SCHED_POLICY_ISO)
		return berth_fail(err, "process.scheduler.policy: SCHED_ISO is not implemented by "
				       "Linux");
	if (s->nice < -20 || s->nice > 19)
		return berth_fail(err, "process.scheduler.nice: %d is outside -20..19", (int)s->nice);
	if (s->priority != 0 && policy != SCHED_FIFO && policy != SCHED_RR)
		return berth_fail(err, "process.scheduler.priority: only SCHED_FIFO and SCHED_RR "
				       "take a priority");
	if ((policy == SCHED_FIFO || policy == SCHED_RR) && (s->priority < 1 || s->priority > 99))
		return berth_fail(err, "process.scheduler.priority: %s needs 1..99, got %d",
				  s->policy, (int)s->priority);
	if (policy != SCHED_DEADLINE && (s->runtime || s->deadline || s->period))
		return berth_fail(err, "process.scheduler: runtime, deadline and period are only "
				       "for SCHED_DEADLINE");
	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sched_policy = (uint32_t)policy;
	attr->sched_nice = s->nice;
	attr->sched_priority = (uint32_t)s->priority;
	attr->sched_runtime = s->runtime;
	attr->sched_deadline = s->deadline;
	attr->sched_period = s->period;
	/* Without a clamp value in the spec, a clamp flag means "no clamping": 0..1024. */
	attr->sched_util_min = 0;
	attr->sched_util_max = 1024;
	for (i = 0; i < s->flags_len; i++) {
		int flag = LOOKUP(sched_flags, s->flags[i]);

		if (flag < 0)
			return berth_fail(err, "process.scheduler.flags[%zu]: unknown flag '%s'", i,
					  s->flags[i]);
		attr->sched_flags |= (uint64_t)flag;
	}
	return 0;
}

int scheduler_check(const struct oci_process *p, struct berth_error **err)
{
	struct sched_attr attr;

	return p->scheduler ? build_attr(p->scheduler, &attr, err) : 0;
}

int scheduler_apply(const struct oci_process *p, struct berth_error **err)
{
	struct sched_attr attr;

	if (p->scheduler == NULL)
		return 0;
	if (build_attr(p->scheduler, &attr, err) < 0)
		return -1;
	if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
		return berth_fail_errno(err, errno, "process.scheduler: sched_setattr(%s)",
					p->scheduler->policy);
	return 0;
}

static int io_priority_value(const struct oci_io_priority *io, int *out,
			     struct berth_error **err)
{
	int cls = LOOKUP(io_classes, io->class_);

	if (cls < 0)
		return berth_fail(err, "process.ioPriority.class: unknown class '%s'",
				  io->class_ ? io->class_ : "");
	if (io->priority < 0 || io->priority > 7)
		return berth_fail(err, "process.ioPriority.priority: %d is outside 0..7",
				  (int)io->priority);
	*out = IOPRIO_PRIO_VALUE(cls, io->priority);
	return 0;
}

int io_priority_check(const struct oci_process *p, struct berth_error **err)
{
	int v;

	return p->io_priority ? io_priority_value(p->io_priority, &v, err) : 0;
}

int io_priority_apply(const struct oci_process *p, struct berth_error **err)
{
	int v;

	if (p->io_priority == NULL)
		return 0;
	if (io_priority_value(p->io_priority, &v, err) < 0)
		return -1;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, v) < 0)
		return berth_fail_errno(err, errno, "process.ioPriority: ioprio_set(%s, %d)",
					p->io_priority->class_, (int)p->io_priority->priority);
	return 0;
}

/* "0-3,7" -> set; `field` names the list in messages. */
static int parse_cpu_list(const char *list, const char *field, cpu_set_t *set,
			  struct berth_error **err)
{
	const char *s = list;

	CPU_ZERO(set);
	while (*s) {
		unsigned long lo, hi;
		char *end;

		while (*s == ' ')
			s++;
		if (*s < '0' || *s > '9')
			goto bad;
		lo = hi = strtoul(s, &end, 10);
		s = end;
		if (*s == '-') {
			s++;
			if (*s < '0' || *s > '9')
				goto bad;
			hi = strtoul(s, &end, 10);
			s = end;
		}
		while (*s == ' ')
			s++;
		if (hi < lo)
			goto bad;
		if (hi >= CPU_SETSIZE)
			return berth_fail(err, "%s '%s': cpu %lu is beyond %d", field, list, hi,
					  CPU_SETSIZE - 1);
		for (; lo <= hi; lo++)
			CPU_SET(lo, set);
		if (*s == ',')
			s++;
		else if (*s)
			goto bad;
	}
	return 0;
bad:
	return berth_fail(err, "%s '%s': expected a cpu list such as '0-3,7'", field, list);
}

int affinity_check(const struct oci_process *p, struct berth_error **err)
{
	cpu_set_t set;

	if (p->exec_cpu_affinity == NULL)
		return 0;
	if (p->exec_cpu_affinity->initial &&
	    parse_cpu_list(p->exec_cpu_affinity->initial, "process.execCPUAffinity.initial", &set,
			   err) < 0)
		return -1;
	if (p->exec_cpu_affinity->final &&
	    parse_cpu_list(p->exec_cpu_affinity->final, "process.execCPUAffinity.final", &set,
			   err) < 0)
		return -1;
	return 0;
}

int affinity_apply(const struct oci_process *p, bool final, struct berth_error **err)
{
	const char *field = final ? "process.execCPUAffinity.final"
				  : "process.execCPUAffinity.initial";
	const char *list;
	cpu_set_t set;

	if (p->exec_cpu_affinity == NULL)
		return 0;
	list = final ? p->exec_cpu_affinity->final : p->exec_cpu_affinity->initial;
	if (list == NULL || *list == '\0')
		return 0;
	if (parse_cpu_list(list, field, &set, err) < 0)
		return -1;
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return berth_fail_errno(err, errno, "%s '%s': sched_setaffinity", field, list);
	return 0;
}
