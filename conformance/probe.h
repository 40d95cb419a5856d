/*
 * probe: what the parts of the static probe share. probe.c holds main(), the argument parsing and
 * the checks asked for on the command line (stat=, open=, create=, read=, sysctl=); probe-self.c,
 * probe-fs.c and probe-sched.c report the attributes every container process has. Nothing here may change the process it
 * observes (no umask(), no setrlimit(), no writes outside create='s own scratch file).
 */
#ifndef BERTH_PROBE_H
#define BERTH_PROBE_H

#include "jsonw.h"

#include <stddef.h>

struct probe {
	struct jsonw out;
	char **errors; /* "what: why" lines, reported as the document's "errors" array */
	size_t n_errors;
};

/* Read a whole (small, /proc-like) file; 0 or -errno. *buf is NUL-terminated, caller frees. */
int probe_read_file(const char *path, size_t max, char **buf, size_t *len);

/* "EACCES" for EACCES: stable across libc versions and locales, unlike strerror(). */
const char *probe_errno_name(int err);

/* Record that a part of the report could not be observed; that part is reported as null. */
void probe_error(struct probe *p, const char *what, int err);

#define NAME_OR_NULL(table, i) ((size_t)(i) < sizeof(table) / sizeof(table[0]) ? table[i] : NULL)

/* Write every attribute of the calling process as members of the currently open object. */
void probe_self(struct probe *p, int argc, char **argv);

/* probe-fs.c: each writes one member ("namespaces", "fds", "mounts", "cgroup"). */
void probe_write_namespaces(struct probe *p);
void probe_write_fds(struct probe *p);
void probe_write_mounts(struct probe *p);
void probe_write_cgroups(struct probe *p);

/* probe-sched.c: "oom_score_adj", "personality", "cpu_affinity", "scheduler", "ioprio",
 * "mempolicy". */
void probe_write_oom_score_adj(struct probe *p);
void probe_write_personality(struct probe *p);
void probe_write_cpu_affinity(struct probe *p);
void probe_write_scheduler(struct probe *p);
void probe_write_ioprio(struct probe *p);
void probe_write_mempolicy(struct probe *p);

#endif
