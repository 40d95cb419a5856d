/*
 * Field tables for the runtime-spec documents declared in runtime.h. Each table mirrors one
 * struct; the walker in walker.c does all the work. Keep the order of config.md so a reader can
 * check a table against the spec line by line.
 */
#include "config.h"

#include "runtime.h"

#define S OCI_STRING
#define B OCI_BOOL
#define I32 OCI_INT32
#define U32 OCI_UINT32
#define I64 OCI_INT64
#define U64 OCI_UINT64
#define REQ OCI_REQUIRED

/* ---- process -------------------------------------------------------------------------- */

static const struct oci_field console_size_fields[] = {
	OCI_FIELD(struct oci_console_size, height, "height", U32, REQ),
	OCI_FIELD(struct oci_console_size, width, "width", U32, REQ),
	OCI_END,
};
static const struct oci_type console_size_type = { "object", sizeof(struct oci_console_size),
						    console_size_fields };

static const struct oci_field user_fields[] = {
	OCI_FIELD(struct oci_user, uid, "uid", U32, REQ),
	OCI_FIELD(struct oci_user, gid, "gid", U32, REQ),
	OCI_OPT(struct oci_user, umask, "umask", U32, 0),
	OCI_ARR(struct oci_user, additional_gids, "additionalGids", U32, 0),
	OCI_FIELD(struct oci_user, username, "username", S, 0),
	OCI_END,
};
static const struct oci_type user_type = { "object", sizeof(struct oci_user), user_fields };

static const struct oci_field capabilities_fields[] = {
	OCI_ARR(struct oci_capabilities, bounding, "bounding", S, 0),
	OCI_ARR(struct oci_capabilities, effective, "effective", S, 0),
	OCI_ARR(struct oci_capabilities, inheritable, "inheritable", S, 0),
	OCI_ARR(struct oci_capabilities, permitted, "permitted", S, 0),
	OCI_ARR(struct oci_capabilities, ambient, "ambient", S, 0),
	OCI_END,
};
static const struct oci_type capabilities_type = { "object", sizeof(struct oci_capabilities),
						   capabilities_fields };

static const struct oci_field rlimit_fields[] = {
	OCI_FIELD(struct oci_rlimit, type, "type", S, REQ),
	OCI_FIELD(struct oci_rlimit, soft, "soft", U64, REQ),
	OCI_FIELD(struct oci_rlimit, hard, "hard", U64, REQ),
	OCI_END,
};
static const struct oci_type rlimit_type = { "object", sizeof(struct oci_rlimit), rlimit_fields };

static const struct oci_field scheduler_fields[] = {
	OCI_FIELD(struct oci_scheduler, policy, "policy", S, REQ),
	OCI_FIELD(struct oci_scheduler, nice, "nice", I32, 0),
	OCI_FIELD(struct oci_scheduler, priority, "priority", I32, 0),
	OCI_ARR(struct oci_scheduler, flags, "flags", S, 0),
	OCI_FIELD(struct oci_scheduler, runtime, "runtime", U64, 0),
	OCI_FIELD(struct oci_scheduler, deadline, "deadline", U64, 0),
	OCI_FIELD(struct oci_scheduler, period, "period", U64, 0),
	OCI_END,
};
static const struct oci_type scheduler_type = { "object", sizeof(struct oci_scheduler),
						scheduler_fields };

static const struct oci_field io_priority_fields[] = {
	OCI_FIELD(struct oci_io_priority, class_, "class", S, REQ),
	OCI_FIELD(struct oci_io_priority, priority, "priority", I32, 0),
	OCI_END,
};
static const struct oci_type io_priority_type = { "object", sizeof(struct oci_io_priority),
						  io_priority_fields };

static const struct oci_field exec_cpu_affinity_fields[] = {
	OCI_FIELD(struct oci_exec_cpu_affinity, initial, "initial", S, 0),
	OCI_FIELD(struct oci_exec_cpu_affinity, final, "final", S, 0),
	OCI_END,
};
static const struct oci_type exec_cpu_affinity_type = {
	"object", sizeof(struct oci_exec_cpu_affinity), exec_cpu_affinity_fields
};

static const struct oci_field process_fields[] = {
	OCI_FIELD(struct oci_process, terminal, "terminal", B, 0),
	OCI_OBJ(struct oci_process, console_size, "consoleSize", console_size_type, 0),
	OCI_OBJ(struct oci_process, user, "user", user_type, 0),
	OCI_ARR(struct oci_process, args, "args", S, 0),
	OCI_FIELD(struct oci_process, command_line, "commandLine", S, 0),
	OCI_ARR(struct oci_process, env, "env", S, 0),
	OCI_FIELD(struct oci_process, cwd, "cwd", S, REQ),
	OCI_OBJ(struct oci_process, capabilities, "capabilities", capabilities_type, 0),
	OCI_OBJARR(struct oci_process, rlimits, "rlimits", rlimit_type, 0),
	OCI_FIELD(struct oci_process, no_new_privileges, "noNewPrivileges", B, 0),
	OCI_FIELD(struct oci_process, apparmor_profile, "apparmorProfile", S, 0),
	OCI_OPT(struct oci_process, oom_score_adj, "oomScoreAdj", I32, 0),
	OCI_OBJ(struct oci_process, scheduler, "scheduler", scheduler_type, 0),
	OCI_FIELD(struct oci_process, selinux_label, "selinuxLabel", S, 0),
	OCI_OBJ(struct oci_process, io_priority, "ioPriority", io_priority_type, 0),
	OCI_OBJ(struct oci_process, exec_cpu_affinity, "execCPUAffinity", exec_cpu_affinity_type,
		0),
	OCI_END,
};
const struct oci_type oci_process_type = { "object", sizeof(struct oci_process),
					   process_fields };

/* ---- root, mounts, hooks ---------------------------------------------------------------- */

static const struct oci_field root_fields[] = {
	OCI_FIELD(struct oci_root, path, "path", S, REQ),
	OCI_FIELD(struct oci_root, readonly, "readonly", B, 0),
	OCI_END,
};
static const struct oci_type root_type = { "object", sizeof(struct oci_root), root_fields };

static const struct oci_field id_mapping_fields[] = {
	OCI_FIELD(struct oci_id_mapping, container_id, "containerID", U32, REQ),
	OCI_FIELD(struct oci_id_mapping, host_id, "hostID", U32, REQ),
	OCI_FIELD(struct oci_id_mapping, size, "size", U32, REQ),
	OCI_END,
};
static const struct oci_type id_mapping_type = { "object", sizeof(struct oci_id_mapping),
						 id_mapping_fields };

static const struct oci_field mount_fields[] = {
	OCI_FIELD(struct oci_mount, destination, "destination", S, REQ),
	OCI_FIELD(struct oci_mount, source, "source", S, 0),
	OCI_ARR(struct oci_mount, options, "options", S, 0),
	OCI_FIELD(struct oci_mount, type, "type", S, 0),
	OCI_OBJARR(struct oci_mount, uid_mappings, "uidMappings", id_mapping_type, 0),
	OCI_OBJARR(struct oci_mount, gid_mappings, "gidMappings", id_mapping_type, 0),
	OCI_END,
};
static const struct oci_type mount_type = { "object", sizeof(struct oci_mount), mount_fields };

static const struct oci_field hook_fields[] = {
	OCI_FIELD(struct oci_hook, path, "path", S, REQ),
	OCI_ARR(struct oci_hook, args, "args", S, 0),
	OCI_ARR(struct oci_hook, env, "env", S, 0),
	OCI_OPT(struct oci_hook, timeout, "timeout", I64, 0),
	OCI_END,
};
static const struct oci_type hook_type = { "object", sizeof(struct oci_hook), hook_fields };

static const struct oci_field hooks_fields[] = {
	OCI_OBJARR(struct oci_hooks, prestart, "prestart", hook_type, 0),
	OCI_OBJARR(struct oci_hooks, create_runtime, "createRuntime", hook_type, 0),
	OCI_OBJARR(struct oci_hooks, create_container, "createContainer", hook_type, 0),
	OCI_OBJARR(struct oci_hooks, start_container, "startContainer", hook_type, 0),
	OCI_OBJARR(struct oci_hooks, poststart, "poststart", hook_type, 0),
	OCI_OBJARR(struct oci_hooks, poststop, "poststop", hook_type, 0),
	OCI_END,
};
static const struct oci_type hooks_type = { "object", sizeof(struct oci_hooks), hooks_fields };

/* ---- linux ----------------------------------------------------------------------------- */

static const struct oci_field namespace_fields[] = {
	OCI_FIELD(struct oci_namespace, type, "type", S, REQ),
	OCI_FIELD(struct oci_namespace, path, "path", S, 0),
	OCI_END,
};
static const struct oci_type namespace_type = { "object", sizeof(struct oci_namespace),
						namespace_fields };

static const struct oci_field time_offset_fields[] = {
	OCI_FIELD(struct oci_time_offset, secs, "secs", I64, 0),
	OCI_FIELD(struct oci_time_offset, nanosecs, "nanosecs", U32, 0),
	OCI_END,
};
static const struct oci_type time_offset_type = { "object", sizeof(struct oci_time_offset),
						  time_offset_fields };

static const struct oci_field time_offsets_fields[] = {
	OCI_OBJ(struct oci_time_offsets, monotonic, "monotonic", time_offset_type, 0),
	OCI_OBJ(struct oci_time_offsets, boottime, "boottime", time_offset_type, 0),
	OCI_END,
};
static const struct oci_type time_offsets_type = { "object", sizeof(struct oci_time_offsets),
						   time_offsets_fields };

static const struct oci_field device_fields[] = {
	OCI_FIELD(struct oci_device, type, "type", S, REQ),
	OCI_FIELD(struct oci_device, path, "path", S, REQ),
	OCI_FIELD(struct oci_device, major, "major", I64, 0),
	OCI_FIELD(struct oci_device, minor, "minor", I64, 0),
	OCI_OPT(struct oci_device, file_mode, "fileMode", U32, 0),
	OCI_OPT(struct oci_device, uid, "uid", U32, 0),
	OCI_OPT(struct oci_device, gid, "gid", U32, 0),
	OCI_END,
};
static const struct oci_type device_type = { "object", sizeof(struct oci_device), device_fields };

static const struct oci_field net_device_fields[] = {
	OCI_FIELD(struct oci_net_device, name, "name", S, 0),
	OCI_END,
};
static const struct oci_type net_device_type = { "object", sizeof(struct oci_net_device),
						 net_device_fields };

static const struct oci_field device_cgroup_fields[] = {
	OCI_FIELD(struct oci_device_cgroup, allow, "allow", B, REQ),
	OCI_FIELD(struct oci_device_cgroup, type, "type", S, 0),
	OCI_OPT(struct oci_device_cgroup, major, "major", I64, 0),
	OCI_OPT(struct oci_device_cgroup, minor, "minor", I64, 0),
	OCI_FIELD(struct oci_device_cgroup, access, "access", S, 0),
	OCI_END,
};
static const struct oci_type device_cgroup_type = { "object", sizeof(struct oci_device_cgroup),
						    device_cgroup_fields };

static const struct oci_field memory_fields[] = {
	OCI_OPT(struct oci_memory, limit, "limit", I64, 0),
	OCI_OPT(struct oci_memory, reservation, "reservation", I64, 0),
	OCI_OPT(struct oci_memory, swap, "swap", I64, 0),
	OCI_OPT(struct oci_memory, kernel, "kernel", I64, 0),
	OCI_OPT(struct oci_memory, kernel_tcp, "kernelTCP", I64, 0),
	OCI_OPT(struct oci_memory, swappiness, "swappiness", U64, 0),
	OCI_OPT(struct oci_memory, disable_oom_killer, "disableOOMKiller", B, 0),
	OCI_OPT(struct oci_memory, use_hierarchy, "useHierarchy", B, 0),
	OCI_OPT(struct oci_memory, check_before_update, "checkBeforeUpdate", B, 0),
	OCI_END,
};
static const struct oci_type memory_type = { "object", sizeof(struct oci_memory), memory_fields };

static const struct oci_field cpu_fields[] = {
	OCI_OPT(struct oci_cpu, shares, "shares", U64, 0),
	OCI_OPT(struct oci_cpu, quota, "quota", I64, 0),
	OCI_OPT(struct oci_cpu, burst, "burst", U64, 0),
	OCI_OPT(struct oci_cpu, period, "period", U64, 0),
	OCI_OPT(struct oci_cpu, realtime_runtime, "realtimeRuntime", I64, 0),
	OCI_OPT(struct oci_cpu, realtime_period, "realtimePeriod", U64, 0),
	OCI_FIELD(struct oci_cpu, cpus, "cpus", S, 0),
	OCI_FIELD(struct oci_cpu, mems, "mems", S, 0),
	OCI_OPT(struct oci_cpu, idle, "idle", I64, 0),
	OCI_END,
};
static const struct oci_type cpu_type = { "object", sizeof(struct oci_cpu), cpu_fields };

static const struct oci_field pids_fields[] = {
	OCI_OPT(struct oci_pids, limit, "limit", I64, 0),
	OCI_END,
};
static const struct oci_type pids_type = { "object", sizeof(struct oci_pids), pids_fields };

static const struct oci_field weight_device_fields[] = {
	OCI_FIELD(struct oci_weight_device, major, "major", I64, REQ),
	OCI_FIELD(struct oci_weight_device, minor, "minor", I64, REQ),
	OCI_OPT(struct oci_weight_device, weight, "weight", U32, 0),
	OCI_OPT(struct oci_weight_device, leaf_weight, "leafWeight", U32, 0),
	OCI_END,
};
static const struct oci_type weight_device_type = { "object", sizeof(struct oci_weight_device),
						    weight_device_fields };

static const struct oci_field throttle_device_fields[] = {
	OCI_FIELD(struct oci_throttle_device, major, "major", I64, REQ),
	OCI_FIELD(struct oci_throttle_device, minor, "minor", I64, REQ),
	OCI_FIELD(struct oci_throttle_device, rate, "rate", U64, REQ),
	OCI_END,
};
static const struct oci_type throttle_device_type = {
	"object", sizeof(struct oci_throttle_device), throttle_device_fields
};

static const struct oci_field block_io_fields[] = {
	OCI_OPT(struct oci_block_io, weight, "weight", U32, 0),
	OCI_OPT(struct oci_block_io, leaf_weight, "leafWeight", U32, 0),
	OCI_OBJARR(struct oci_block_io, weight_device, "weightDevice", weight_device_type, 0),
	OCI_OBJARR(struct oci_block_io, throttle_read_bps_device, "throttleReadBpsDevice",
		   throttle_device_type, 0),
	OCI_OBJARR(struct oci_block_io, throttle_write_bps_device, "throttleWriteBpsDevice",
		   throttle_device_type, 0),
	OCI_OBJARR(struct oci_block_io, throttle_read_iops_device, "throttleReadIOPSDevice",
		   throttle_device_type, 0),
	OCI_OBJARR(struct oci_block_io, throttle_write_iops_device, "throttleWriteIOPSDevice",
		   throttle_device_type, 0),
	OCI_END,
};
static const struct oci_type block_io_type = { "object", sizeof(struct oci_block_io),
					       block_io_fields };

static const struct oci_field hugepage_limit_fields[] = {
	OCI_FIELD(struct oci_hugepage_limit, page_size, "pageSize", S, REQ),
	OCI_FIELD(struct oci_hugepage_limit, limit, "limit", U64, REQ),
	OCI_END,
};
static const struct oci_type hugepage_limit_type = { "object", sizeof(struct oci_hugepage_limit),
						     hugepage_limit_fields };

static const struct oci_field net_priority_fields[] = {
	OCI_FIELD(struct oci_net_priority, name, "name", S, REQ),
	OCI_FIELD(struct oci_net_priority, priority, "priority", U32, REQ),
	OCI_END,
};
static const struct oci_type net_priority_type = { "object", sizeof(struct oci_net_priority),
						   net_priority_fields };

static const struct oci_field network_fields[] = {
	OCI_OPT(struct oci_network, class_id, "classID", U32, 0),
	OCI_OBJARR(struct oci_network, priorities, "priorities", net_priority_type, 0),
	OCI_END,
};
static const struct oci_type network_type = { "object", sizeof(struct oci_network),
					      network_fields };

static const struct oci_field rdma_fields[] = {
	OCI_OPT(struct oci_rdma, hca_handles, "hcaHandles", U32, 0),
	OCI_OPT(struct oci_rdma, hca_objects, "hcaObjects", U32, 0),
	OCI_END,
};
static const struct oci_type rdma_type = { "object", sizeof(struct oci_rdma), rdma_fields };

static const struct oci_field resources_fields[] = {
	OCI_OBJARR(struct oci_resources, devices, "devices", device_cgroup_type, 0),
	OCI_OBJ(struct oci_resources, memory, "memory", memory_type, 0),
	OCI_OBJ(struct oci_resources, cpu, "cpu", cpu_type, 0),
	OCI_OBJ(struct oci_resources, pids, "pids", pids_type, 0),
	OCI_OBJ(struct oci_resources, block_io, "blockIO", block_io_type, 0),
	OCI_OBJARR(struct oci_resources, hugepage_limits, "hugepageLimits", hugepage_limit_type,
		   0),
	OCI_OBJ(struct oci_resources, network, "network", network_type, 0),
	OCI_OBJARR(struct oci_resources, rdma, "rdma", rdma_type, OCI_KEYED),
	OCI_FIELD(struct oci_resources, unified, "unified", OCI_MAP, 0),
	OCI_END,
};
const struct oci_type oci_linux_resources_type = { "object", sizeof(struct oci_resources),
						   resources_fields };

static const struct oci_field intel_rdt_fields[] = {
	OCI_FIELD(struct oci_intel_rdt, clos_id, "closID", S, 0),
	OCI_FIELD(struct oci_intel_rdt, l3_cache_schema, "l3CacheSchema", S, 0),
	OCI_FIELD(struct oci_intel_rdt, mem_bw_schema, "memBwSchema", S, 0),
	OCI_ARR(struct oci_intel_rdt, schemata, "schemata", S, 0),
	OCI_FIELD(struct oci_intel_rdt, enable_monitoring, "enableMonitoring", B, 0),
	OCI_FIELD(struct oci_intel_rdt, enable_cmt, "enableCMT", B, 0),
	OCI_FIELD(struct oci_intel_rdt, enable_mbm, "enableMBM", B, 0),
	OCI_END,
};
static const struct oci_type intel_rdt_type = { "object", sizeof(struct oci_intel_rdt),
						intel_rdt_fields };

static const struct oci_field memory_policy_fields[] = {
	OCI_FIELD(struct oci_memory_policy, mode, "mode", S, REQ),
	OCI_FIELD(struct oci_memory_policy, nodes, "nodes", S, 0),
	OCI_ARR(struct oci_memory_policy, flags, "flags", S, 0),
	OCI_END,
};
static const struct oci_type memory_policy_type = { "object", sizeof(struct oci_memory_policy),
						    memory_policy_fields };

static const struct oci_field seccomp_arg_fields[] = {
	OCI_FIELD(struct oci_seccomp_arg, index, "index", U32, REQ),
	OCI_FIELD(struct oci_seccomp_arg, value, "value", U64, REQ),
	OCI_OPT(struct oci_seccomp_arg, value_two, "valueTwo", U64, 0),
	OCI_FIELD(struct oci_seccomp_arg, op, "op", S, REQ),
	OCI_END,
};
static const struct oci_type seccomp_arg_type = { "object", sizeof(struct oci_seccomp_arg),
						  seccomp_arg_fields };

static const struct oci_field seccomp_syscall_fields[] = {
	OCI_ARR(struct oci_seccomp_syscall, names, "names", S, REQ),
	OCI_FIELD(struct oci_seccomp_syscall, action, "action", S, REQ),
	OCI_OPT(struct oci_seccomp_syscall, errno_ret, "errnoRet", U32, 0),
	OCI_OBJARR(struct oci_seccomp_syscall, args, "args", seccomp_arg_type, 0),
	OCI_END,
};
static const struct oci_type seccomp_syscall_type = {
	"object", sizeof(struct oci_seccomp_syscall), seccomp_syscall_fields
};

static const struct oci_field seccomp_fields[] = {
	OCI_FIELD(struct oci_seccomp, default_action, "defaultAction", S, REQ),
	OCI_OPT(struct oci_seccomp, default_errno_ret, "defaultErrnoRet", U32, 0),
	OCI_ARR(struct oci_seccomp, architectures, "architectures", S, 0),
	OCI_ARR(struct oci_seccomp, flags, "flags", S, 0),
	OCI_FIELD(struct oci_seccomp, listener_path, "listenerPath", S, 0),
	OCI_FIELD(struct oci_seccomp, listener_metadata, "listenerMetadata", S, 0),
	OCI_OBJARR(struct oci_seccomp, syscalls, "syscalls", seccomp_syscall_type, 0),
	OCI_END,
};
static const struct oci_type seccomp_type = { "object", sizeof(struct oci_seccomp),
					      seccomp_fields };

static const struct oci_field personality_fields[] = {
	OCI_FIELD(struct oci_personality, domain, "domain", S, REQ),
	OCI_ARR(struct oci_personality, flags, "flags", S, 0),
	OCI_END,
};
static const struct oci_type personality_type = { "object", sizeof(struct oci_personality),
						  personality_fields };

static const struct oci_field linux_fields[] = {
	OCI_OBJARR(struct oci_linux, namespaces, "namespaces", namespace_type, 0),
	OCI_OBJARR(struct oci_linux, uid_mappings, "uidMappings", id_mapping_type, 0),
	OCI_OBJARR(struct oci_linux, gid_mappings, "gidMappings", id_mapping_type, 0),
	OCI_OBJ(struct oci_linux, time_offsets, "timeOffsets", time_offsets_type, 0),
	OCI_OBJARR(struct oci_linux, devices, "devices", device_type, 0),
	OCI_OBJARR(struct oci_linux, net_devices, "netDevices", net_device_type, OCI_KEYED),
	OCI_FIELD(struct oci_linux, cgroups_path, "cgroupsPath", S, 0),
	OCI_OBJ(struct oci_linux, resources, "resources", oci_linux_resources_type, 0),
	OCI_OBJ(struct oci_linux, intel_rdt, "intelRdt", intel_rdt_type, 0),
	OCI_OBJ(struct oci_linux, memory_policy, "memoryPolicy", memory_policy_type, 0),
	OCI_FIELD(struct oci_linux, sysctl, "sysctl", OCI_MAP, 0),
	OCI_OBJ(struct oci_linux, seccomp, "seccomp", seccomp_type, 0),
	OCI_FIELD(struct oci_linux, rootfs_propagation, "rootfsPropagation", S, 0),
	OCI_ARR(struct oci_linux, masked_paths, "maskedPaths", S, 0),
	OCI_ARR(struct oci_linux, readonly_paths, "readonlyPaths", S, 0),
	OCI_FIELD(struct oci_linux, mount_label, "mountLabel", S, 0),
	OCI_OBJ(struct oci_linux, personality, "personality", personality_type, 0),
	OCI_END,
};
static const struct oci_type linux_type = { "object", sizeof(struct oci_linux), linux_fields };

/* ---- config.json ------------------------------------------------------------------------ */

static const struct oci_field config_fields[] = {
	OCI_FIELD(struct oci_config, oci_version, "ociVersion", S, REQ),
	OCI_OBJ(struct oci_config, root, "root", root_type, 0),
	OCI_OBJARR(struct oci_config, mounts, "mounts", mount_type, 0),
	OCI_OBJ(struct oci_config, process, "process", oci_process_type, 0),
	OCI_FIELD(struct oci_config, hostname, "hostname", S, 0),
	OCI_FIELD(struct oci_config, domainname, "domainname", S, 0),
	OCI_OBJ(struct oci_config, hooks, "hooks", hooks_type, 0),
	OCI_FIELD(struct oci_config, annotations, "annotations", OCI_MAP, 0),
	OCI_OBJ(struct oci_config, linux_, "linux", linux_type, 0),
	OCI_END,
};
const struct oci_type oci_config_type = { "object", sizeof(struct oci_config), config_fields };

/* ---- state -------------------------------------------------------------------------------- */

static const struct oci_field state_fields[] = {
	OCI_FIELD(struct oci_state, oci_version, "ociVersion", S, REQ),
	OCI_FIELD(struct oci_state, id, "id", S, REQ),
	OCI_OPT(struct oci_state, pid, "pid", I64, 0),
	OCI_FIELD(struct oci_state, status, "status", S, REQ),
	OCI_FIELD(struct oci_state, bundle, "bundle", S, REQ),
	OCI_FIELD(struct oci_state, rootfs, "rootfs", S, 0),
	OCI_FIELD(struct oci_state, created, "created", S, 0),
	OCI_FIELD(struct oci_state, owner, "owner", S, 0),
	OCI_FIELD(struct oci_state, annotations, "annotations", OCI_MAP, 0),
	OCI_END,
};
const struct oci_type oci_state_type = { "object", sizeof(struct oci_state), state_fields };

/* ---- features ----------------------------------------------------------------------------- */

static const struct oci_field features_cgroup_fields[] = {
	OCI_OPT(struct oci_features_cgroup, v1, "v1", B, 0),
	OCI_OPT(struct oci_features_cgroup, v2, "v2", B, 0),
	OCI_OPT(struct oci_features_cgroup, systemd, "systemd", B, 0),
	OCI_OPT(struct oci_features_cgroup, systemd_user, "systemdUser", B, 0),
	OCI_OPT(struct oci_features_cgroup, rdma, "rdma", B, 0),
	OCI_END,
};
static const struct oci_type features_cgroup_type = {
	"object", sizeof(struct oci_features_cgroup), features_cgroup_fields
};

static const struct oci_field features_seccomp_fields[] = {
	OCI_OPT(struct oci_features_seccomp, enabled, "enabled", B, 0),
	OCI_ARR(struct oci_features_seccomp, actions, "actions", S, 0),
	OCI_ARR(struct oci_features_seccomp, operators, "operators", S, 0),
	OCI_ARR(struct oci_features_seccomp, archs, "archs", S, 0),
	OCI_ARR(struct oci_features_seccomp, known_flags, "knownFlags", S, 0),
	OCI_ARR(struct oci_features_seccomp, supported_flags, "supportedFlags", S, 0),
	OCI_END,
};
static const struct oci_type features_seccomp_type = {
	"object", sizeof(struct oci_features_seccomp), features_seccomp_fields
};

static const struct oci_field features_enabled_fields[] = {
	OCI_OPT(struct oci_features_enabled, enabled, "enabled", B, 0),
	OCI_END,
};
static const struct oci_type features_enabled_type = {
	"object", sizeof(struct oci_features_enabled), features_enabled_fields
};

static const struct oci_field features_mount_extensions_fields[] = {
	OCI_OBJ(struct oci_features_mount_extensions, idmap, "idmap", features_enabled_type, 0),
	OCI_END,
};
static const struct oci_type features_mount_extensions_type = {
	"object", sizeof(struct oci_features_mount_extensions), features_mount_extensions_fields
};

static const struct oci_field features_memory_policy_fields[] = {
	OCI_ARR(struct oci_features_memory_policy, modes, "modes", S, 0),
	OCI_ARR(struct oci_features_memory_policy, flags, "flags", S, 0),
	OCI_END,
};
static const struct oci_type features_memory_policy_type = {
	"object", sizeof(struct oci_features_memory_policy), features_memory_policy_fields
};

static const struct oci_field features_linux_fields[] = {
	OCI_ARR(struct oci_features_linux, namespaces, "namespaces", S, 0),
	OCI_ARR(struct oci_features_linux, capabilities, "capabilities", S, 0),
	OCI_OBJ(struct oci_features_linux, cgroup, "cgroup", features_cgroup_type, 0),
	OCI_OBJ(struct oci_features_linux, seccomp, "seccomp", features_seccomp_type, 0),
	OCI_OBJ(struct oci_features_linux, apparmor, "apparmor", features_enabled_type, 0),
	OCI_OBJ(struct oci_features_linux, selinux, "selinux", features_enabled_type, 0),
	OCI_OBJ(struct oci_features_linux, intel_rdt, "intelRdt", features_enabled_type, 0),
	OCI_OBJ(struct oci_features_linux, mount_extensions, "mountExtensions",
		features_mount_extensions_type, 0),
	OCI_OBJ(struct oci_features_linux, net_devices, "netDevices", features_enabled_type, 0),
	OCI_OBJ(struct oci_features_linux, memory_policy, "memoryPolicy",
		features_memory_policy_type, 0),
	OCI_END,
};
static const struct oci_type features_linux_type = {
	"object", sizeof(struct oci_features_linux), features_linux_fields
};

static const struct oci_field features_fields[] = {
	OCI_FIELD(struct oci_features, oci_version_min, "ociVersionMin", S, REQ),
	OCI_FIELD(struct oci_features, oci_version_max, "ociVersionMax", S, REQ),
	OCI_ARR(struct oci_features, hooks, "hooks", S, 0),
	OCI_ARR(struct oci_features, mount_options, "mountOptions", S, 0),
	OCI_OBJ(struct oci_features, linux_, "linux", features_linux_type, 0),
	OCI_FIELD(struct oci_features, annotations, "annotations", OCI_MAP, 0),
	OCI_ARR(struct oci_features, potentially_unsafe_config_annotations,
		"potentiallyUnsafeConfigAnnotations", S, 0),
	OCI_END,
};
const struct oci_type oci_features_type = { "object", sizeof(struct oci_features),
					    features_fields };
