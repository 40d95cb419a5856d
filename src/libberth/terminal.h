/*
 * process.terminal: the init opens a pty pair from the container's devpts, makes the slave
 * its controlling terminal and stdio, binds it on /dev/console, applies consoleSize, and sends
 * the master to --console-socket over SCM_RIGHTS (or to the parent for `run` without one).
 */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include "container.h"

/* In the child, after pivot_root; `master_out` receives the master fd to pass on. */
int terminal_setup(struct berth_container *c, const struct oci_process *p, int *master_out,
		   struct berth_error **err);
/* Send a pty master over a connected unix socket (the console socket protocol). */
int terminal_send_master(int sock, int master, struct berth_error **err);

#endif
