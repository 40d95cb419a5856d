/*
 * The state directory <root>/<id>: taken atomically by create (mkdir refuses duplicates),
 * locked by every command that changes it, holding state.json (written by atomic rename),
 * a copy of the config the container was created with, and the start socket the init waits on.
 * Liveness is judged from the pid and its start time, so a recycled pid is never mistaken
 * for the container.
 */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define BERTH_DEFAULT_ROOT "/run/berth"
#define STATE_FILE "state.json"
#define STATE_CONFIG_FILE "config.json"
#define STATE_START_SOCKET "start.sock"

/* What berth keeps about a container between commands. */
struct berth_state {
	char *oci_version;
	char *id;
	int64_t pid;
	uint64_t pid_start_time; /* field 22 of /proc/<pid>/stat */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *cgroup_path;
	bool started;     /* start has been called: start.sock is gone (not in state.json) */
	/* The config copy has poststart/poststop hooks: only then do start and delete parse it. */
	bool poststart_hooks;
	bool poststop_hooks;
	struct oci_map annotations;
};

enum berth_status { STATUS_CREATING, STATUS_CREATED, STATUS_RUNNING, STATUS_PAUSED, STATUS_STOPPED };

const char *status_name(enum berth_status s);

/* Reject ids that are empty, too long, or not made of [A-Za-z0-9_+.-] (as runc). */
int state_check_id(const char *id, struct berth_error **err);
/* Create <root>/<id>; refuses an existing id. Returns an O_DIRECTORY fd, locked. */
int state_dir_create(const char *root, const char *id, char **path, struct berth_error **err);
/* Open and lock <root>/<id>; a missing container gives runc's "does not exist" wording. */
int state_dir_open(const char *root, const char *id, char **path, struct berth_error **err);
int state_dir_remove(const char *root, const char *id, struct berth_error **err);

int state_write(int dirfd, const struct berth_state *st, struct berth_error **err);
int state_read(int dirfd, struct berth_state **st, struct berth_error **err);
void state_free(struct berth_state *st);

/* Write `data` to `name` under dirfd (or to an absolute/relative path when dirfd is
 * AT_FDCWD) through a temporary file and rename, so readers never see half a file. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len,
		      struct berth_error **err);

/* Start time of a process, 0 when it does not exist. */
uint64_t process_start_time(pid_t pid);
/* True when pid is alive, not a zombie, and started at start_time. */
bool process_alive(pid_t pid, uint64_t start_time);

#endif
