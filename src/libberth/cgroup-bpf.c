/*
 * Device rules on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program compiled from the rule
 * list (cgroup-devices.c), loaded and attached with the bpf() syscall, replacing the program
 * berth attached before (update) atomically with BPF_F_REPLACE.
 *
 * The program decides each requested access bit (mknod, read, write) on its own: for a bit,
 * the last rule that matches the device and names that bit decides; no match denies. An
 * access is allowed when every bit it asks for is. This is the v1 devices.list semantics
 * exactly, also for partial rules ("deny c 1:3 w" after "allow c 1:3 rwm").
 * This file must never attach to a cgroup other than the fd it is given.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "cgroup-internal.h"
#include "util.h"

struct prog {
	struct bpf_insn *insns;
	size_t n, cap;
	bool oom;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct bpf_insn *ni = realloc(p->insns, cap * sizeof(*ni));

		if (ni == NULL) {
			p->oom = true;
			return;
		}
		p->insns = ni;
		p->cap = cap;
	}
	p->insns[p->n++] = insn;
}

#define INSN(c, d, s, o, i)                                                                  \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define JMP32_IMM(op, dst, imm, off) INSN(BPF_JMP32 | (op) | BPF_K, dst, 0, off, imm)
#define JA(off) INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers after the prologue: r2 device type, r3 access bits, r4 major, r5 minor. */
static size_t rule_len(const struct cgroup_dev_rule *r)
{
	return (r->type != 'a') + (r->major >= 0) + (r->minor >= 0) + (r->allow ? 1 : 2);
}

static void compile(struct prog *p, const struct cgroup_dev_rule *rules, size_t n)
{
	static const unsigned bits[] = { CGROUP_DEV_MKNOD, CGROUP_DEV_READ, CGROUP_DEV_WRITE };
	static const int bpf_bits[] = { BPF_DEVCG_ACC_MKNOD, BPF_DEVCG_ACC_READ,
					BPF_DEVCG_ACC_WRITE };

	emit(p, LDX_W(BPF_REG_2, BPF_REG_1, 0)); /* access_type = access << 16 | type */
	emit(p, MOV32_REG(BPF_REG_3, BPF_REG_2));
	emit(p, ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
	emit(p, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
	emit(p, LDX_W(BPF_REG_4, BPF_REG_1, 4));
	emit(p, LDX_W(BPF_REG_5, BPF_REG_1, 8));

	for (size_t b = 0; b < 3; b++) {
		size_t *to_end = calloc(n + 1, sizeof(*to_end)), n_end = 0;

		if (to_end == NULL) {
			p->oom = true;
			return;
		}
		/* Not asked for: this bit passes. */
		emit(p, MOV32_REG(BPF_REG_1, BPF_REG_3));
		emit(p, ALU32_IMM(BPF_AND, BPF_REG_1, bpf_bits[b]));
		to_end[n_end++] = p->n;
		emit(p, JMP32_IMM(BPF_JEQ, BPF_REG_1, 0, 0));
		bool decided = false;

		for (size_t i = n; !decided && i-- > 0;) {
			const struct cgroup_dev_rule *r = &rules[i];
			size_t next = p->n + rule_len(r);

			if (!(r->access & bits[b]))
				continue;
			/* A rule for every device decides alone: the verifier refuses the
			 * unreachable code that would follow it. */
			decided = r->type == 'a' && r->major < 0 && r->minor < 0;
			if (r->type != 'a')
				emit(p, JMP32_IMM(BPF_JNE, BPF_REG_2,
						  r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
						  (int16_t)(next - p->n - 1)));
			if (r->major >= 0)
				emit(p, JMP32_IMM(BPF_JNE, BPF_REG_4, (int32_t)(uint32_t)r->major,
						  (int16_t)(next - p->n - 1)));
			if (r->minor >= 0)
				emit(p, JMP32_IMM(BPF_JNE, BPF_REG_5, (int32_t)(uint32_t)r->minor,
						  (int16_t)(next - p->n - 1)));
			if (r->allow) {
				to_end[n_end++] = p->n;
				emit(p, JA(0));
			} else {
				emit(p, MOV64_IMM(BPF_REG_0, 0));
				emit(p, EXIT());
			}
		}
		if (!decided) { /* no rule for this bit: denied */
			emit(p, MOV64_IMM(BPF_REG_0, 0));
			emit(p, EXIT());
		}
		for (size_t k = 0; !p->oom && k < n_end; k++)
			p->insns[to_end[k]].off = (int16_t)(p->n - to_end[k] - 1);
		free(to_end);
	}
	emit(p, MOV64_IMM(BPF_REG_0, 1));
	emit(p, EXIT());
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int load(const struct prog *p, struct berth_error **err)
{
	static char log[16384];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insns;
	attr.insn_cnt = (uint32_t)p->n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0 || errno != EINVAL)
		return fd >= 0 ? fd
			       : berth_fail_errno(err, errno, "load the device filter (bpf)");
	/* Rejected by the verifier: load again with its log for the message. */
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	log[0] = '\0';
	fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	log[strcspn(log, "\n")] = '\0';
	return berth_fail_errno(err, EINVAL, "load the device filter (bpf): verifier: %s", log);
}

int cgroup_bpf_apply_devices(int cgroup_fd, const struct cgroup_dev_rule *rules, size_t n,
			     struct berth_error **err)
{
	struct prog p = { 0 };
	_cleanup_close_ int prog_fd = -1, old_fd = -1;
	uint32_t ids[64], count = 64;
	union bpf_attr attr;

	compile(&p, rules, n);
	if (p.oom) {
		free(p.insns);
		return berth_fail_errno(err, ENOMEM, "build the device filter");
	}
	if (p.n > 4096) {
		free(p.insns);
		return berth_fail(err, "%zu device rules make a filter longer than 4096 instructions",
				  n);
	}
	prog_fd = load(&p, err);
	free(p.insns);
	if (prog_fd < 0)
		return -1;

	/* What berth attached before (update, or a reused cgroup). */
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)cgroup_fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = count;
	if (bpf(BPF_PROG_QUERY, &attr) < 0)
		return berth_fail_errno(err, errno, "query the cgroup's device filters (bpf)");
	count = attr.query.prog_cnt;
	if (count > 64)
		return berth_fail(err, "the cgroup has %u device filters attached", count);

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (count == 1) {
		union bpf_attr get;

		memset(&get, 0, sizeof(get));
		get.prog_id = ids[0];
		old_fd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
		if (old_fd < 0)
			return berth_fail_errno(err, errno, "open the cgroup's device filter (bpf)");
		attr.attach_flags |= BPF_F_REPLACE;
		attr.replace_bpf_fd = (uint32_t)old_fd;
	}
	if (bpf(BPF_PROG_ATTACH, &attr) < 0)
		return berth_fail_errno(err, errno, "attach the device filter (bpf)");
	/* Several old ones (not berth's doing): the new one is in, take them out. */
	for (uint32_t i = 0; count > 1 && i < count; i++) {
		union bpf_attr get, det;
		_cleanup_close_ int fd = -1;

		memset(&get, 0, sizeof(get));
		get.prog_id = ids[i];
		fd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
		if (fd < 0)
			continue;
		memset(&det, 0, sizeof(det));
		det.target_fd = (uint32_t)cgroup_fd;
		det.attach_bpf_fd = (uint32_t)fd;
		det.attach_type = BPF_CGROUP_DEVICE;
		if (bpf(BPF_PROG_DETACH, &det) < 0)
			return berth_fail_errno(err, errno, "detach an old device filter (bpf)");
	}
	return 0;
}
