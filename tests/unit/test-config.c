/*
 * config.json through libocispec: a document using every field of runtime-spec 1.3
 * (config.md, config-linux.md) is parsed and checked value by value, then round-tripped and
 * checked again; `runc spec`'s default config; the number, null and unknown-member rules.
 * Malformed documents live in test-errors.c. Pure code: no root, no kernel state.
 */
#include "config.h"

#include <stdint.h>
#include <unistd.h>

#include "oci-test.h"
#include "image.h"
#include "runtime.h"

#define N(member) (c->member##_len)

static void check_process(const struct oci_process *p, const char *t)
{
	if (!ok(p != NULL, "%s: process is present", t))
		return;
	ok(p->terminal, "%s: process.terminal", t);
	ok(p->console_size && p->console_size->height == 25 && p->console_size->width == 80,
	   "%s: process.consoleSize is 25x80", t);
	if (ok(p->user != NULL, "%s: process.user is present", t)) {
		is_int(p->user->uid, 1000, "%s: process.user.uid", t);
		is_int(p->user->gid, 1001, "%s: process.user.gid", t);
		ok(p->user->has_umask && p->user->umask == 18, "%s: process.user.umask is 022", t);
		is_int((long long)p->user->additional_gids_len, 3, "%s: three additionalGids", t);
		if (p->user->additional_gids_len == 3)
			is_uint(p->user->additional_gids[2], UINT32_MAX,
				"%s: additionalGids[2] is the largest uint32", t);
		is_str(p->user->username, "alice", "%s: process.user.username", t);
	}
	is_int((long long)p->args_len, 3, "%s: three args", t);
	if (p->args_len == 3) {
		is_str(p->args[2], "echo \"hi\\there\" \xc3\xa9", "%s: escapes and \\u00e9 decode", t);
		ok(p->args[3] == NULL, "%s: args are NULL-terminated for execve", t);
	}
	is_str(p->command_line, "sh -c echo", "%s: process.commandLine", t);
	is_int((long long)p->env_len, 2, "%s: two env entries", t);
	if (p->env_len == 2)
		is_str(p->env[0], "PATH=/usr/bin:/bin", "%s: env[0]", t);
	is_str(p->cwd, "/work", "%s: process.cwd", t);
	if (ok(p->capabilities != NULL, "%s: capabilities present", t)) {
		const struct oci_capabilities *k = p->capabilities;
		is_int((long long)k->bounding_len, 2, "%s: two bounding caps", t);
		is_int((long long)k->effective_len, 1, "%s: one effective cap", t);
		ok(k->inheritable != NULL && k->inheritable_len == 0,
		   "%s: empty inheritable is present, not absent", t);
		is_int((long long)k->permitted_len, 3, "%s: three permitted caps", t);
		if (k->ambient_len == 1)
			is_str(k->ambient[0], "CAP_NET_BIND_SERVICE", "%s: ambient[0]", t);
		else
			ok(0, "%s: one ambient cap", t);
	}
	is_int((long long)p->rlimits_len, 2, "%s: two rlimits", t);
	if (p->rlimits_len == 2) {
		is_str(p->rlimits[0].type, "RLIMIT_NOFILE", "%s: rlimits[0].type", t);
		is_uint(p->rlimits[0].soft, 1024, "%s: rlimits[0].soft", t);
		is_uint(p->rlimits[0].hard, UINT64_MAX, "%s: rlimits[0].hard is RLIM_INFINITY", t);
		is_uint(p->rlimits[1].hard, 0, "%s: rlimits[1].hard", t);
	}
	ok(p->no_new_privileges, "%s: noNewPrivileges", t);
	is_str(p->apparmor_profile, "acme_secure_profile", "%s: apparmorProfile", t);
	ok(p->has_oom_score_adj && p->oom_score_adj == -1000, "%s: oomScoreAdj is -1000", t);
	if (ok(p->scheduler != NULL, "%s: scheduler present", t)) {
		is_str(p->scheduler->policy, "SCHED_DEADLINE", "%s: scheduler.policy", t);
		is_int(p->scheduler->nice, -20, "%s: scheduler.nice is negative", t);
		is_int(p->scheduler->priority, 99, "%s: scheduler.priority", t);
		is_int((long long)p->scheduler->flags_len, 2, "%s: two scheduler flags", t);
		is_uint(p->scheduler->runtime, 10000000, "%s: scheduler.runtime", t);
		is_uint(p->scheduler->deadline, 20000000, "%s: scheduler.deadline", t);
		is_uint(p->scheduler->period, 30000000, "%s: scheduler.period", t);
	}
	is_str(p->selinux_label, "system_u:system_r:svirt_lxc_net_t:s0:c124,c675",
	       "%s: selinuxLabel", t);
	if (ok(p->io_priority != NULL, "%s: ioPriority present", t)) {
		is_str(p->io_priority->class_, "IOPRIO_CLASS_RT", "%s: ioPriority.class", t);
		is_int(p->io_priority->priority, 7, "%s: ioPriority.priority", t);
	}
	if (ok(p->exec_cpu_affinity != NULL, "%s: execCPUAffinity present", t)) {
		is_str(p->exec_cpu_affinity->initial, "7", "%s: execCPUAffinity.initial", t);
		is_str(p->exec_cpu_affinity->final, "0-3,7", "%s: execCPUAffinity.final", t);
	}
}

static void check_mounts_and_hooks(const struct oci_config *c, const char *t)
{
	const struct oci_hooks *h = c->hooks;

	is_int((long long)N(mounts), 2, "%s: two mounts", t);
	if (N(mounts) == 2) {
		const struct oci_mount *m = &c->mounts[1];
		is_str(c->mounts[0].destination, "/proc", "%s: mounts[0].destination", t);
		ok(c->mounts[0].options == NULL, "%s: mounts[0] has no options", t);
		is_str(m->source, "/srv/data", "%s: mounts[1].source", t);
		is_str(m->type, "bind", "%s: mounts[1].type", t);
		is_int((long long)m->options_len, 3, "%s: mounts[1] has three options", t);
		ok(m->uid_mappings_len == 1 && m->uid_mappings[0].host_id == 100000 &&
			   m->uid_mappings[0].size == 65536,
		   "%s: mounts[1].uidMappings (idmapped mount)", t);
		ok(m->gid_mappings_len == 1 && m->gid_mappings[0].host_id == 200000 &&
			   m->gid_mappings[0].size == 1000,
		   "%s: mounts[1].gidMappings", t);
	}
	if (!ok(h != NULL, "%s: hooks present", t))
		return;
	ok(h->prestart_len == 1 && h->prestart[0].args_len == 2 && h->prestart[0].env_len == 1 &&
		   h->prestart[0].has_timeout && h->prestart[0].timeout == 5,
	   "%s: hooks.prestart with args, env and timeout", t);
	ok(h->create_runtime_len == 1 && !h->create_runtime[0].has_timeout &&
		   h->create_runtime[0].args == NULL,
	   "%s: hooks.createRuntime without timeout or args", t);
	ok(h->create_container_len == 1 &&
		   strcmp(h->create_container[0].path, "/usr/bin/mount-hook") == 0,
	   "%s: hooks.createContainer", t);
	ok(h->start_container_len == 1 && h->start_container[0].has_timeout &&
		   h->start_container[0].timeout == 0,
	   "%s: hooks.startContainer with an explicit zero timeout", t);
	ok(h->poststart_len == 1, "%s: hooks.poststart", t);
	ok(h->poststop_len == 1 && h->poststop[0].args_len == 2, "%s: hooks.poststop", t);
}

static void check_resources(const struct oci_resources *r, const char *t)
{
	const struct oci_memory *m;
	const struct oci_cpu *cpu;
	const struct oci_block_io *io;

	if (!ok(r != NULL, "%s: linux.resources present", t))
		return;
	is_int((long long)r->devices_len, 3, "%s: three device cgroup rules", t);
	if (r->devices_len == 3) {
		ok(!r->devices[0].allow && !r->devices[0].has_major && r->devices[0].type == NULL,
		   "%s: devices[0] denies all", t);
		ok(r->devices[2].has_minor && r->devices[2].minor == -1,
		   "%s: devices[2].minor -1 is a wildcard", t);
	}
	if ((m = r->memory) != NULL) {
		ok(m->has_limit && m->limit == 536870912, "%s: memory.limit", t);
		ok(m->has_reservation && m->reservation == 536870912, "%s: memory.reservation", t);
		ok(m->has_swap && m->swap == -1, "%s: memory.swap -1 means unlimited", t);
		ok(m->has_kernel && m->kernel == -1, "%s: memory.kernel", t);
		ok(m->has_kernel_tcp && m->kernel_tcp == -1, "%s: memory.kernelTCP", t);
		ok(m->has_swappiness && m->swappiness == 0, "%s: memory.swappiness 0 is set", t);
		ok(m->has_disable_oom_killer && !m->disable_oom_killer,
		   "%s: memory.disableOOMKiller false is set", t);
		ok(m->has_use_hierarchy && m->use_hierarchy, "%s: memory.useHierarchy", t);
		ok(m->has_check_before_update && m->check_before_update,
		   "%s: memory.checkBeforeUpdate", t);
	} else {
		ok(0, "%s: memory present", t);
	}
	if ((cpu = r->cpu) != NULL) {
		ok(cpu->has_shares && cpu->shares == 1024, "%s: cpu.shares", t);
		ok(cpu->has_quota && cpu->quota == 1000000, "%s: cpu.quota", t);
		ok(cpu->has_burst && cpu->burst == 500000, "%s: cpu.burst", t);
		ok(cpu->has_period && cpu->period == 500000, "%s: cpu.period", t);
		ok(cpu->has_realtime_runtime && cpu->realtime_runtime == 950000,
		   "%s: cpu.realtimeRuntime", t);
		ok(cpu->has_realtime_period && cpu->realtime_period == 1000000,
		   "%s: cpu.realtimePeriod", t);
		is_str(cpu->cpus, "2-3", "%s: cpu.cpus", t);
		is_str(cpu->mems, "0-7", "%s: cpu.mems", t);
		ok(cpu->has_idle && cpu->idle == 1, "%s: cpu.idle", t);
	} else {
		ok(0, "%s: cpu present", t);
	}
	ok(r->pids && r->pids->has_limit && r->pids->limit == 32771, "%s: pids.limit", t);
	if ((io = r->block_io) != NULL) {
		ok(io->has_weight && io->weight == 10, "%s: blockIO.weight", t);
		ok(io->has_leaf_weight && io->leaf_weight == 10, "%s: blockIO.leafWeight", t);
		ok(io->weight_device_len == 2 && io->weight_device[0].leaf_weight == 300 &&
			   !io->weight_device[1].has_leaf_weight && io->weight_device[1].minor == 16,
		   "%s: blockIO.weightDevice", t);
		ok(io->throttle_read_bps_device_len == 1 && io->throttle_read_bps_device[0].rate == 600,
		   "%s: blockIO.throttleReadBpsDevice", t);
		ok(io->throttle_write_bps_device_len == 1 &&
			   io->throttle_write_bps_device[0].rate == UINT64_MAX,
		   "%s: blockIO.throttleWriteBpsDevice keeps UINT64_MAX", t);
		ok(io->throttle_read_iops_device_len == 1 &&
			   io->throttle_read_iops_device[0].rate == 300,
		   "%s: blockIO.throttleReadIOPSDevice", t);
		ok(io->throttle_write_iops_device_len == 1 &&
			   io->throttle_write_iops_device[0].minor == 16,
		   "%s: blockIO.throttleWriteIOPSDevice", t);
	} else {
		ok(0, "%s: blockIO present", t);
	}
	ok(r->hugepage_limits_len == 2 && strcmp(r->hugepage_limits[1].page_size, "64KB") == 0 &&
		   r->hugepage_limits[0].limit == 209715200,
	   "%s: hugepageLimits", t);
	ok(r->network && r->network->has_class_id && r->network->class_id == 1048577 &&
		   r->network->priorities_len == 2 && r->network->priorities[1].priority == 1000,
	   "%s: network.classID and priorities", t);
	/* Keyed objects keep document order, which is what makes the round trip stable. */
	if (is_int((long long)r->rdma_len, 3, "%s: three rdma devices", t)) {
		is_str(r->rdma[0].device, "mlx5_1", "%s: rdma key 0", t);
		ok(r->rdma[0].has_hca_handles && r->rdma[0].hca_handles == 3 &&
			   r->rdma[0].hca_objects == 10000,
		   "%s: rdma.mlx5_1 values", t);
		is_str(r->rdma[1].device, "mlx4_0", "%s: rdma key 1", t);
		ok(!r->rdma[1].has_hca_handles && r->rdma[1].has_hca_objects,
		   "%s: rdma.mlx4_0 has only hcaObjects", t);
	}
	is_int((long long)r->unified.len, 2, "%s: two unified entries", t);
	is_str(oci_map_get(&r->unified, "io.max"),
	       "259:0 rbps=2097152 wiops=120\n253:0 rbps=2097152 wiops=120",
	       "%s: unified[io.max] keeps its newline", t);
}

static void check_linux(const struct oci_linux *l, const char *t)
{
	const struct oci_seccomp *s;

	if (!ok(l != NULL, "%s: linux present", t))
		return;
	is_int((long long)l->namespaces_len, 8, "%s: eight namespaces", t);
	if (l->namespaces_len == 8) {
		is_str(l->namespaces[1].path, "/var/run/netns/neta", "%s: network ns path", t);
		is_str(l->namespaces[7].type, "time", "%s: time namespace", t);
	}
	ok(l->uid_mappings_len == 1 && l->uid_mappings[0].size == 32000, "%s: uidMappings", t);
	ok(l->gid_mappings_len == 1 && l->gid_mappings[0].host_id == 1000, "%s: gidMappings", t);
	if (ok(l->time_offsets && l->time_offsets->monotonic && l->time_offsets->boottime,
	       "%s: timeOffsets present", t)) {
		is_int(l->time_offsets->monotonic->secs, -172800, "%s: monotonic.secs negative", t);
		is_int(l->time_offsets->boottime->nanosecs, 999999999, "%s: boottime.nanosecs", t);
	}
	if (is_int((long long)l->devices_len, 2, "%s: two devices", t)) {
		ok(l->devices[0].has_file_mode && l->devices[0].file_mode == 0666 &&
			   l->devices[0].has_uid && l->devices[0].has_gid,
		   "%s: devices[0] fileMode 0666, uid, gid", t);
		ok(!l->devices[1].has_file_mode && l->devices[1].major == 8,
		   "%s: devices[1] without fileMode", t);
	}
	if (is_int((long long)l->net_devices_len, 2, "%s: two netDevices", t)) {
		is_str(l->net_devices[0].host_name, "eth0", "%s: netDevices key", t);
		is_str(l->net_devices[0].name, "ens4", "%s: netDevices.eth0.name", t);
		ok(l->net_devices[1].name == NULL, "%s: netDevices.ens4 keeps its own name", t);
	}
	is_str(l->cgroups_path, "/myRuntime/myContainer", "%s: cgroupsPath", t);
	check_resources(l->resources, t);
	if (ok(l->intel_rdt != NULL, "%s: intelRdt present", t)) {
		is_str(l->intel_rdt->clos_id, "guaranteed_group", "%s: intelRdt.closID", t);
		is_str(l->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f", "%s: l3CacheSchema", t);
		is_str(l->intel_rdt->mem_bw_schema, "MB:0=20;1=70", "%s: memBwSchema", t);
		is_int((long long)l->intel_rdt->schemata_len, 2, "%s: intelRdt.schemata", t);
		ok(l->intel_rdt->enable_monitoring && l->intel_rdt->enable_cmt &&
			   l->intel_rdt->enable_mbm,
		   "%s: intelRdt monitoring flags", t);
	}
	if (ok(l->memory_policy != NULL, "%s: memoryPolicy present", t)) {
		is_str(l->memory_policy->mode, "MPOL_INTERLEAVE", "%s: memoryPolicy.mode", t);
		is_str(l->memory_policy->nodes, "0-3,7", "%s: memoryPolicy.nodes", t);
		ok(l->memory_policy->flags_len == 1, "%s: memoryPolicy.flags", t);
	}
	is_str(oci_map_get(&l->sysctl, "net.ipv4.ip_forward"), "1", "%s: sysctl map", t);
	ok(oci_map_get(&l->sysctl, "net.ipv4") == NULL, "%s: sysctl lookup is exact", t);
	if ((s = l->seccomp) != NULL) {
		is_str(s->default_action, "SCMP_ACT_ERRNO", "%s: seccomp.defaultAction", t);
		ok(s->has_default_errno_ret && s->default_errno_ret == 38,
		   "%s: seccomp.defaultErrnoRet", t);
		is_int((long long)s->architectures_len, 3, "%s: three architectures", t);
		is_int((long long)s->flags_len, 2, "%s: two seccomp flags", t);
		is_str(s->listener_path, "/run/seccomp-agent.socket", "%s: listenerPath", t);
		is_str(s->listener_metadata, "agent-metadata", "%s: listenerMetadata", t);
		if (is_int((long long)s->syscalls_len, 4, "%s: four syscall rules", t)) {
			const struct oci_seccomp_syscall *sc = &s->syscalls[1];
			is_int((long long)sc->args_len, 2, "%s: two args on personality", t);
			if (sc->args_len == 2) {
				is_uint(sc->args[0].value, UINT64_MAX,
					"%s: seccomp arg value above INT64_MAX", t);
				ok(sc->args[0].has_value_two &&
					   sc->args[0].value_two == 9223372036854775808ULL,
				   "%s: seccomp valueTwo 2^63", t);
				is_str(sc->args[0].op, "SCMP_CMP_MASKED_EQ", "%s: seccomp op", t);
				ok(sc->args[1].index == 5 && !sc->args[1].has_value_two,
				   "%s: second arg has no valueTwo", t);
			}
			ok(s->syscalls[2].has_errno_ret && s->syscalls[2].errno_ret == 1,
			   "%s: errnoRet", t);
			ok(!s->syscalls[0].has_errno_ret && s->syscalls[0].args == NULL,
			   "%s: plain allow rule", t);
		}
	} else {
		ok(0, "%s: seccomp present", t);
	}
	is_str(l->rootfs_propagation, "slave", "%s: rootfsPropagation", t);
	is_int((long long)l->masked_paths_len, 2, "%s: maskedPaths", t);
	is_int((long long)l->readonly_paths_len, 2, "%s: readonlyPaths", t);
	is_str(l->mount_label, "system_u:object_r:svirt_sandbox_file_t:s0:c715,c811",
	       "%s: mountLabel", t);
	if (ok(l->personality != NULL, "%s: personality present", t)) {
		is_str(l->personality->domain, "LINUX32", "%s: personality.domain", t);
		ok(l->personality->flags_len == 1, "%s: personality.flags", t);
	}
}

static void check_full_config(const struct oci_config *c, const char *t)
{
	if (!ok(c != NULL, "%s: config present", t))
		return;
	is_str(c->oci_version, "1.3.0", "%s: ociVersion", t);
	ok(c->root && strcmp(c->root->path, "rootfs") == 0 && c->root->readonly,
	   "%s: root.path and root.readonly", t);
	is_str(c->hostname, "slartibartfast", "%s: hostname", t);
	is_str(c->domainname, "example.org", "%s: domainname", t);
	is_int((long long)c->annotations.len, 2, "%s: two annotations", t);
	is_str(oci_map_get(&c->annotations, "com.example.key2"), "value2", "%s: annotation", t);
	check_process(c->process, t);
	check_mounts_and_hooks(c, t);
	check_linux(c->linux_, t);
}

static void test_full_config(void)
{
	struct oci_config *c = parse_fixture(&oci_config_type, "config-full.json");
	struct oci_config *again;

	check_full_config(c, "full");
	if (c == NULL)
		return;
	again = round_trip(&oci_config_type, c, "full config");
	check_full_config(again, "full, round-tripped");
	oci_free(&oci_config_type, again);
	oci_free(&oci_config_type, c);
}

static void test_runc_spec_config(void)
{
	struct oci_config *c = parse_fixture(&oci_config_type, "config-runc-spec.json");
	struct oci_config *again;

	if (c == NULL)
		return;
	is_str(c->oci_version, "1.0.2-dev", "runc spec: ociVersion");
	ok(c->process && c->process->user && c->process->user->uid == 0 &&
		   !c->process->user->has_umask && c->process->user->additional_gids == NULL,
	   "runc spec: root user, no umask, no additionalGids");
	ok(c->process && !c->process->has_oom_score_adj && c->process->scheduler == NULL,
	   "runc spec: absent optional scalars and objects stay absent");
	ok(c->process && c->process->capabilities &&
		   c->process->capabilities->inheritable == NULL,
	   "runc spec: absent inheritable is NULL");
	is_int((long long)c->mounts_len, 7, "runc spec: seven mounts");
	if (c->mounts_len == 7) {
		is_str(c->mounts[6].destination, "/sys/fs/cgroup", "runc spec: last mount");
		is_str(c->mounts[1].options[3], "size=65536k", "runc spec: /dev options");
	}
	ok(c->linux_ && c->linux_->resources && c->linux_->resources->devices_len == 1 &&
		   c->linux_->resources->memory == NULL,
	   "runc spec: one device rule, no memory");
	ok(c->linux_ && c->linux_->masked_paths_len == 10 && c->linux_->readonly_paths_len == 5,
	   "runc spec: masked and read-only paths");
	ok(c->linux_ && c->linux_->seccomp == NULL && c->linux_->sysctl.keys == NULL,
	   "runc spec: no seccomp, no sysctl");
	ok(c->hooks == NULL && c->annotations.keys == NULL, "runc spec: no hooks, no annotations");
	again = round_trip(&oci_config_type, c, "runc spec");
	ok(again && again->mounts_len == 7 && again->hooks == NULL,
	   "runc spec: round trip keeps mounts and adds nothing");
	oci_free(&oci_config_type, again);
	oci_free(&oci_config_type, c);
}

static struct oci_config *parse_ok(const char *json, const char *what)
{
	struct oci_config *c = NULL;
	char *err = NULL;

	if (!ok(oci_parse(&oci_config_type, json, strlen(json), "config.json", (void **)&c, &err) ==
			0,
		"%s", what))
		diag("error: %s", err ? err : "(none)");
	free(err);
	return c;
}

static void test_numbers(void)
{
	struct oci_config *c;

	c = parse_ok("{\"ociVersion\":\"1.3.0\",\"process\":{\"cwd\":\"/\",\"rlimits\":["
		     "{\"type\":\"RLIMIT_AS\",\"soft\":18446744073709551615,"
		     "\"hard\":9223372036854775808}]}}",
		     "uint64 values above INT64_MAX parse");
	if (c && c->process && c->process->rlimits_len == 1) {
		is_uint(c->process->rlimits[0].soft, 18446744073709551615ULL, "soft is 2^64-1");
		is_uint(c->process->rlimits[0].hard, 9223372036854775808ULL, "hard is 2^63");
	}
	oci_free(&oci_config_type, c);

	c = parse_ok("{\"ociVersion\":\"1\",\"linux\":{\"resources\":{\"memory\":"
		     "{\"limit\":-9223372036854775808,\"swap\":9223372036854775807}}}}",
		     "int64 extremes parse");
	if (c && c->linux_ && c->linux_->resources && c->linux_->resources->memory) {
		is_int(c->linux_->resources->memory->limit, INT64_MIN, "limit is INT64_MIN");
		is_int(c->linux_->resources->memory->swap, INT64_MAX, "swap is INT64_MAX");
	}
	oci_free(&oci_config_type, c);

	c = parse_ok("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":-2147483648,"
		     "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":2147483647}}}",
		     "int32 extremes parse");
	if (c && c->process && c->process->scheduler) {
		is_int(c->process->oom_score_adj, INT32_MIN, "oomScoreAdj is INT32_MIN");
		is_int(c->process->scheduler->nice, INT32_MAX, "nice is INT32_MAX");
	}
	oci_free(&oci_config_type, c);

	c = parse_ok("{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"oomScoreAdj\":0}}",
		     "an explicit zero is present");
	ok(c && c->process && c->process->has_oom_score_adj && c->process->oom_score_adj == 0,
	   "oomScoreAdj 0 sets has_oom_score_adj");
	oci_free(&oci_config_type, c);
}

static void test_null_unknown_and_empty(void)
{
	struct oci_config *c;
	char *json = NULL, *err = NULL;

	c = parse_ok("{\"ociVersion\":\"1.3.0\",\"hostname\":null,\"process\":null,"
		     "\"linux\":{\"resources\":{\"memory\":{\"limit\":null}},\"sysctl\":null}}",
		     "null members parse");
	if (c) {
		ok(c->hostname == NULL && c->process == NULL, "null string and object are absent");
		ok(c->linux_ && c->linux_->resources && c->linux_->resources->memory &&
			   !c->linux_->resources->memory->has_limit,
		   "null optional integer is absent");
		ok(c->linux_ && c->linux_->sysctl.keys == NULL, "null map is absent");
		if (ok(oci_generate(&oci_config_type, c, false, &json, NULL, &err) == 0,
		       "config with nulls generates"))
			is_str(json,
			       "{\"ociVersion\":\"1.3.0\",\"linux\":{\"resources\":{\"memory\":{}}}}",
			       "null members are not written back");
	}
	free(json);
	free(err);
	json = err = NULL;
	oci_free(&oci_config_type, c);

	c = parse_ok("{\"ociVersion\":\"1.3.0\",\"vendor.example\":{\"x\":[1,{\"y\":null}]},"
		     "\"windows\":{\"layerFolders\":[]},"
		     "\"process\":{\"cwd\":\"/\",\"frobnicate\":true,\"user\":{\"uid\":1,\"gid\":2,"
		     "\"extra\":[[]]}}}",
		     "unknown members at every level are ignored");
	if (c && oci_generate(&oci_config_type, c, false, &json, NULL, &err) == 0)
		is_str(json,
		       "{\"ociVersion\":\"1.3.0\",\"process\":{\"terminal\":false,\"user\":{\"uid\":1,"
		       "\"gid\":2},\"cwd\":\"/\",\"noNewPrivileges\":false}}",
		       "unknown members are dropped on output");
	else
		ok(0, "config with unknown members generates");
	free(json);
	free(err);
	json = err = NULL;
	oci_free(&oci_config_type, c);

	c = parse_ok("{\"ociVersion\":\"1\",\"mounts\":[],\"annotations\":{},"
		     "\"linux\":{\"netDevices\":{}}}",
		     "empty array, map and keyed object parse");
	if (c && oci_generate(&oci_config_type, c, false, &json, NULL, &err) == 0)
		is_str(json,
		       "{\"ociVersion\":\"1\",\"mounts\":[],\"annotations\":{},"
		       "\"linux\":{\"netDevices\":{}}}",
		       "empty containers are kept, distinct from absent ones");
	else
		ok(0, "config with empty containers generates");
	free(json);
	free(err);
	oci_free(&oci_config_type, c);
}

static void test_maps(void)
{
	struct oci_map m = { 0 };
	struct oci_config *c;
	char *json = NULL, *err = NULL;

	ok(oci_map_get(&m, "a") == NULL, "an empty map has no keys");
	ok(oci_map_set(&m, "a", "1") == 0 && oci_map_set(&m, "b", "2") == 0, "map_set adds keys");
	ok(oci_map_set(&m, "a", "3") == 0, "map_set replaces a value");
	is_int((long long)m.len, 2, "replacing does not add a key");
	is_str(oci_map_get(&m, "a"), "3", "the replaced value is returned");
	is_str(oci_map_get(&m, "b"), "2", "the other value is kept");
	ok(m.keys[m.len] == NULL && m.values[m.len] == NULL, "keys and values are NULL-terminated");

	/* A map built by hand generates like a parsed one. */
	c = parse_ok("{\"ociVersion\":\"1\"}", "minimal config parses");
	if (c) {
		c->annotations = m;
		m = (struct oci_map){ 0 };
		if (oci_generate(&oci_config_type, c, false, &json, NULL, &err) == 0)
			is_str(json, "{\"ociVersion\":\"1\",\"annotations\":{\"a\":\"3\",\"b\":\"2\"}}",
			       "a map set by hand is generated in insertion order");
		else
			ok(0, "config with a hand-built map generates");
	}
	free(json);
	free(err);
	oci_free(&oci_config_type, c);
}

static void test_parse_file_errors(void)
{
	void *obj = (void *)1;
	char *err = NULL;

	ok(oci_parse_file(&oci_config_type, "/nonexistent/config.json", &obj, &err) == -1 &&
		   obj == NULL,
	   "a missing file fails");
	is_str(err, "/nonexistent/config.json: No such file or directory",
	       "a missing file names the path and the errno text");
	free(err);
	err = NULL;
	ok(oci_parse_file(&oci_config_type, UNIT_DATA_DIR, &obj, &err) == -1,
	   "a directory fails");
	ok(err && strstr(err, ": read: Is a directory") != NULL, "a directory says so: %s",
	   err ? err : "(null)");
	free(err);
}

/* A document of `n` bytes with a long hostname, so that reading it needs more than one buffer. */
static char *long_document(size_t n)
{
	static const char head[] = "{\"ociVersion\":\"1.3.0\",\"hostname\":\"", tail[] = "\"}";
	char *doc = malloc(n + 1);

	if (doc == NULL)
		abort();
	memcpy(doc, head, sizeof(head) - 1);
	memset(doc + sizeof(head) - 1, 'h', n - (sizeof(head) - 1) - (sizeof(tail) - 1));
	memcpy(doc + n - (sizeof(tail) - 1), tail, sizeof(tail));
	return doc;
}

/* Regular files are read at their size; a pipe (/proc/self/fd/N) reports no size and is read
 * until its end, whatever its length. */
static void test_parse_file_sizes_and_pipes(void)
{
	static const size_t sizes[] = { 40, 4095, 4096, 4097, 20000 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char file[] = "/tmp/berth-unit-XXXXXX", path[64], *err = NULL;
		char *doc = long_document(sizes[i]);
		size_t want = sizes[i] - strlen("{\"ociVersion\":\"1.3.0\",\"hostname\":\"\"}");
		struct oci_config *c = NULL;
		int fd = mkstemp(file), p[2];

		if (!ok(fd >= 0 && write(fd, doc, sizes[i]) == (ssize_t)sizes[i],
			"%zu-byte file is written", sizes[i]))
			abort();
		close(fd);
		ok(oci_parse_file(&oci_config_type, file, (void **)&c, &err) == 0 && c &&
			   c->hostname && strlen(c->hostname) == want,
		   "%zu-byte regular file parses whole", sizes[i]);
		if (err)
			diag("error: %s", err);
		free(err);
		err = NULL;
		oci_free(&oci_config_type, c);
		c = NULL;
		unlink(file);

		if (pipe(p) < 0 || write(p[1], doc, sizes[i]) != (ssize_t)sizes[i])
			abort();
		close(p[1]);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		ok(oci_parse_file(&oci_config_type, path, (void **)&c, &err) == 0 && c &&
			   c->hostname && strlen(c->hostname) == want,
		   "%zu-byte pipe parses whole", sizes[i]);
		if (err)
			diag("error: %s", err);
		free(err);
		oci_free(&oci_config_type, c);
		close(p[0]);
		free(doc);
	}
}

/* A repeated member: the first one counts, even null; map keys are all kept, in order. */
static void test_repeated_members(void)
{
	struct oci_config *c;

	c = parse_ok("{\"ociVersion\":\"1.3.0\",\"hostname\":\"a\",\"hostname\":\"b\","
		     "\"domainname\":null,\"domainname\":\"d\",\"ociVersion\":5,"
		     "\"annotations\":{\"k\":\"1\",\"k\":\"2\"}}",
		     "repeated members parse");
	if (c) {
		is_str(c->hostname, "a", "the first hostname wins");
		ok(c->domainname == NULL, "a first null member wins too");
		ok(c->annotations.len == 2 && strcmp(c->annotations.values[1], "2") == 0 &&
			   c->annotations.keys[2] == NULL,
		   "a map keeps repeated keys in order, NULL-terminated");
	}
	oci_free(&oci_config_type, c);
}

/* OCI_JSON members (the image config's history) are kept as compact text, written back
 * indented with the rest of the document. */
static void test_json_values(void)
{
	static const char doc[] =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		"\"diff_ids\":[]},\"history\":[ {\"created_by\" : \"/bin/sh -c \\u00e9\", "
		"\"empty_layer\":true,\"n\":[1.5e3,-0,null,{}]} ]}";
	struct oci_image_config *img = NULL;
	char *err = NULL, *pretty = NULL;

	if (!ok(oci_parse(&oci_image_config_type, doc, strlen(doc), "config", (void **)&img,
			  &err) == 0 && img,
		"an image config with history parses")) {
		diag("error: %s", err ? err : "(none)");
		free(err);
		return;
	}
	is_str(img->history,
	       "[{\"created_by\":\"/bin/sh -c \xc3\xa9\",\"empty_layer\":true,"
	       "\"n\":[1.5e3,-0,null,{}]}]",
	       "history is kept as compact text, numbers as written");
	if (ok(oci_generate(&oci_image_config_type, img, true, &pretty, NULL, &err) == 0,
	       "the image config generates"))
		ok(strstr(pretty, "\"history\": [\n\t\t{\n\t\t\t\"created_by\"") != NULL,
		   "history is indented with the document");
	free(pretty);
	free(err);
	oci_free(&oci_image_config_type, img);
}

int main(void)
{
	test_full_config();
	test_runc_spec_config();
	test_numbers();
	test_null_unknown_and_empty();
	test_maps();
	test_parse_file_errors();
	test_parse_file_sizes_and_pipes();
	test_repeated_members();
	test_json_values();
	return done();
}
