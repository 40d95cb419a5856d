/*
 * The runtime-spec 1.3 documents as C structs: config.json (config.md, config-linux.md),
 * the state (runtime.md), the features document (features.md, features-linux.md) and a
 * process object on its own (process.json for `exec --process`).
 * Layout follows ocispec.h: pointers for objects, T * + _len for arrays, has_ flags for
 * optional scalars whose zero value means something. Member names are the JSON names in
 * snake_case; `linux` is spelled `linux_` because GNU C predefines `linux`.
 */
#ifndef OCISPEC_RUNTIME_H
#define OCISPEC_RUNTIME_H

#include "ocispec.h"

/* ---- config.json: process ----------------------------------------------------------- */

struct oci_console_size {
	uint32_t height, width;
};

struct oci_rlimit {
	char *type;
	uint64_t soft, hard;
};

struct oci_capabilities {
	char **bounding;
	size_t bounding_len;
	char **effective;
	size_t effective_len;
	char **inheritable;
	size_t inheritable_len;
	char **permitted;
	size_t permitted_len;
	char **ambient;
	size_t ambient_len;
};

struct oci_user {
	uint32_t uid, gid;
	uint32_t umask;
	bool has_umask;
	uint32_t *additional_gids;
	size_t additional_gids_len;
	char *username;
};

struct oci_scheduler {
	char *policy;
	int32_t nice;
	int32_t priority;
	char **flags;
	size_t flags_len;
	uint64_t runtime, deadline, period;
};

struct oci_io_priority {
	char *class_;
	int32_t priority;
};

struct oci_exec_cpu_affinity {
	char *initial;
	char *final;
};

struct oci_process {
	bool terminal;
	struct oci_console_size *console_size;
	struct oci_user *user;
	char **args;
	size_t args_len;
	char *command_line;
	char **env;
	size_t env_len;
	char *cwd;
	struct oci_capabilities *capabilities;
	struct oci_rlimit *rlimits;
	size_t rlimits_len;
	bool no_new_privileges;
	char *apparmor_profile;
	int32_t oom_score_adj;
	bool has_oom_score_adj;
	struct oci_scheduler *scheduler;
	char *selinux_label;
	struct oci_io_priority *io_priority;
	struct oci_exec_cpu_affinity *exec_cpu_affinity;
};

/* ---- config.json: root, mounts, hooks ------------------------------------------------ */

struct oci_root {
	char *path;
	bool readonly;
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_mount {
	char *destination;
	char *source;
	char *type;
	char **options;
	size_t options_len;
	struct oci_id_mapping *uid_mappings;
	size_t uid_mappings_len;
	struct oci_id_mapping *gid_mappings;
	size_t gid_mappings_len;
};

struct oci_hook {
	char *path;
	char **args;
	size_t args_len;
	char **env;
	size_t env_len;
	int64_t timeout;
	bool has_timeout;
};

struct oci_hooks {
	struct oci_hook *prestart;
	size_t prestart_len;
	struct oci_hook *create_runtime;
	size_t create_runtime_len;
	struct oci_hook *create_container;
	size_t create_container_len;
	struct oci_hook *start_container;
	size_t start_container_len;
	struct oci_hook *poststart;
	size_t poststart_len;
	struct oci_hook *poststop;
	size_t poststop_len;
};

/* ---- config.json: linux --------------------------------------------------------------- */

struct oci_namespace {
	char *type;
	char *path;
};

struct oci_time_offset {
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_time_offsets {
	struct oci_time_offset *monotonic;
	struct oci_time_offset *boottime;
};

struct oci_device {
	char *type;
	char *path;
	int64_t major, minor;
	uint32_t file_mode;
	bool has_file_mode;
	uint32_t uid;
	bool has_uid;
	uint32_t gid;
	bool has_gid;
};

/* linux.netDevices is an object keyed by the host interface name. */
struct oci_net_device {
	char *host_name; /* the key */
	char *name;
};

struct oci_device_cgroup {
	bool allow;
	char *type;
	int64_t major;
	bool has_major;
	int64_t minor;
	bool has_minor;
	char *access;
};

struct oci_memory {
	int64_t limit;
	bool has_limit;
	int64_t reservation;
	bool has_reservation;
	int64_t swap;
	bool has_swap;
	int64_t kernel;
	bool has_kernel;
	int64_t kernel_tcp;
	bool has_kernel_tcp;
	uint64_t swappiness;
	bool has_swappiness;
	bool disable_oom_killer;
	bool has_disable_oom_killer;
	bool use_hierarchy;
	bool has_use_hierarchy;
	bool check_before_update;
	bool has_check_before_update;
};

struct oci_cpu {
	uint64_t shares;
	bool has_shares;
	int64_t quota;
	bool has_quota;
	uint64_t burst;
	bool has_burst;
	uint64_t period;
	bool has_period;
	int64_t realtime_runtime;
	bool has_realtime_runtime;
	uint64_t realtime_period;
	bool has_realtime_period;
	char *cpus;
	char *mems;
	int64_t idle;
	bool has_idle;
};

struct oci_pids {
	int64_t limit;
	bool has_limit;
};

struct oci_weight_device {
	int64_t major, minor;
	uint32_t weight;
	bool has_weight;
	uint32_t leaf_weight;
	bool has_leaf_weight;
};

struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_block_io {
	uint32_t weight;
	bool has_weight;
	uint32_t leaf_weight;
	bool has_leaf_weight;
	struct oci_weight_device *weight_device;
	size_t weight_device_len;
	struct oci_throttle_device *throttle_read_bps_device;
	size_t throttle_read_bps_device_len;
	struct oci_throttle_device *throttle_write_bps_device;
	size_t throttle_write_bps_device_len;
	struct oci_throttle_device *throttle_read_iops_device;
	size_t throttle_read_iops_device_len;
	struct oci_throttle_device *throttle_write_iops_device;
	size_t throttle_write_iops_device_len;
};

struct oci_hugepage_limit {
	char *page_size;
	uint64_t limit;
};

struct oci_net_priority {
	char *name;
	uint32_t priority;
};

struct oci_network {
	uint32_t class_id;
	bool has_class_id;
	struct oci_net_priority *priorities;
	size_t priorities_len;
};

/* linux.resources.rdma is an object keyed by the device name. */
struct oci_rdma {
	char *device; /* the key */
	uint32_t hca_handles;
	bool has_hca_handles;
	uint32_t hca_objects;
	bool has_hca_objects;
};

struct oci_resources {
	struct oci_device_cgroup *devices;
	size_t devices_len;
	struct oci_memory *memory;
	struct oci_cpu *cpu;
	struct oci_pids *pids;
	struct oci_block_io *block_io;
	struct oci_hugepage_limit *hugepage_limits;
	size_t hugepage_limits_len;
	struct oci_network *network;
	struct oci_rdma *rdma;
	size_t rdma_len;
	struct oci_map unified;
};

struct oci_intel_rdt {
	char *clos_id;
	char *l3_cache_schema;
	char *mem_bw_schema;
	char **schemata;
	size_t schemata_len;
	bool enable_monitoring;
	bool enable_cmt;
	bool enable_mbm;
};

struct oci_memory_policy {
	char *mode;
	char *nodes;
	char **flags;
	size_t flags_len;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value;
	uint64_t value_two;
	bool has_value_two;
	char *op;
};

struct oci_seccomp_syscall {
	char **names;
	size_t names_len;
	char *action;
	uint32_t errno_ret;
	bool has_errno_ret;
	struct oci_seccomp_arg *args;
	size_t args_len;
};

struct oci_seccomp {
	char *default_action;
	uint32_t default_errno_ret;
	bool has_default_errno_ret;
	char **architectures;
	size_t architectures_len;
	char **flags;
	size_t flags_len;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t syscalls_len;
};

struct oci_personality {
	char *domain;
	char **flags;
	size_t flags_len;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t namespaces_len;
	struct oci_id_mapping *uid_mappings;
	size_t uid_mappings_len;
	struct oci_id_mapping *gid_mappings;
	size_t gid_mappings_len;
	struct oci_time_offsets *time_offsets;
	struct oci_device *devices;
	size_t devices_len;
	struct oci_net_device *net_devices;
	size_t net_devices_len;
	char *cgroups_path;
	struct oci_resources *resources;
	struct oci_intel_rdt *intel_rdt;
	struct oci_memory_policy *memory_policy;
	struct oci_map sysctl;
	struct oci_seccomp *seccomp;
	char *rootfs_propagation;
	char **masked_paths;
	size_t masked_paths_len;
	char **readonly_paths;
	size_t readonly_paths_len;
	char *mount_label;
	struct oci_personality *personality;
};

struct oci_config {
	char *oci_version;
	struct oci_root *root;
	struct oci_mount *mounts;
	size_t mounts_len;
	struct oci_process *process;
	char *hostname;
	char *domainname;
	struct oci_hooks *hooks;
	struct oci_map annotations;
	struct oci_linux *linux_;
};

/* ---- state (runtime.md "State"; runc adds rootfs, created, owner) --------------------- */

struct oci_state {
	char *oci_version;
	char *id;
	char *status;
	int64_t pid;
	bool has_pid;
	char *bundle;
	char *rootfs;
	char *created;
	char *owner;
	struct oci_map annotations;
};

/* ---- features (features.md, features-linux.md) ---------------------------------------- */

struct oci_features_cgroup {
	bool v1, v2, systemd, systemd_user, rdma;
	bool has_v1, has_v2, has_systemd, has_systemd_user, has_rdma;
};

struct oci_features_seccomp {
	bool enabled;
	bool has_enabled;
	char **actions;
	size_t actions_len;
	char **operators;
	size_t operators_len;
	char **archs;
	size_t archs_len;
	char **known_flags;
	size_t known_flags_len;
	char **supported_flags;
	size_t supported_flags_len;
};

struct oci_features_enabled {
	bool enabled;
	bool has_enabled;
};

struct oci_features_mount_extensions {
	struct oci_features_enabled *idmap;
};

struct oci_features_memory_policy {
	char **modes;
	size_t modes_len;
	char **flags;
	size_t flags_len;
};

struct oci_features_linux {
	char **namespaces;
	size_t namespaces_len;
	char **capabilities;
	size_t capabilities_len;
	struct oci_features_cgroup *cgroup;
	struct oci_features_seccomp *seccomp;
	struct oci_features_enabled *apparmor;
	struct oci_features_enabled *selinux;
	struct oci_features_enabled *intel_rdt;
	struct oci_features_mount_extensions *mount_extensions;
	struct oci_features_enabled *net_devices;
	struct oci_features_memory_policy *memory_policy;
};

struct oci_features {
	char *oci_version_min;
	char *oci_version_max;
	char **hooks;
	size_t hooks_len;
	char **mount_options;
	size_t mount_options_len;
	struct oci_features_linux *linux_;
	struct oci_map annotations;
	char **potentially_unsafe_config_annotations;
	size_t potentially_unsafe_config_annotations_len;
};

extern const struct oci_type oci_config_type;
extern const struct oci_type oci_process_type;
extern const struct oci_type oci_linux_resources_type;
extern const struct oci_type oci_state_type;
extern const struct oci_type oci_features_type;

#endif
