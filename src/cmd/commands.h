/*
 * The subcommands. Each parses its own flags (getopt_long, `--flag v` and `--flag=v`) and
 * calls libberth; errors are returned to berth.c, which prints and logs them.
 */
#ifndef BERTH_COMMANDS_H
#define BERTH_COMMANDS_H

#include "container.h"
#include "error.h"

/* Returns the process exit code; on failure sets *err (exit code 1 unless the command
 * sets another). */
typedef int command_fn(int argc, char **argv, struct berth_options *o, struct berth_error **err);

command_fn cmd_create, cmd_start, cmd_state, cmd_kill, cmd_delete, cmd_run, cmd_exec, cmd_list,
	cmd_ps, cmd_spec, cmd_features, cmd_pause, cmd_resume, cmd_update, cmd_events;

/* Exactly one positional container id after the flags, or an error naming the command. */
int command_id(int argc, char **argv, const char *cmd, const char **id, struct berth_error **err);
/* Log a debug line when --debug was given. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log and print a warning. */
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
