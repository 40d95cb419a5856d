/*
 * AppArmor profiles and SELinux labels for the container's process. Both are "on exec"
 * transitions written to /proc/thread-self/attr/...: the label takes effect at the execve that
 * starts the user's program, never earlier, so berth's own setup runs unconfined.
 * This file must never write an attr file it reached without the procfs checks of
 * thread-self.c, and never treat a missing LSM as success.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lsm.h"
#include "thread-self.h"
#include "util.h"

#define SELINUX_MAGIC 0xf97cff8c

static bool apparmor_enabled(void)
{
	_cleanup_close_ int fd = open("/sys/module/apparmor/parameters/enabled",
				      O_RDONLY | O_CLOEXEC);
	char c = 0;

	return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

static bool selinux_enabled(void)
{
	struct statfs st;

	return statfs("/sys/fs/selinux", &st) == 0 && (unsigned long)st.f_type == SELINUX_MAGIC;
}

int lsm_check(const struct oci_process *p, struct berth_error **err)
{
	if (p->apparmor_profile && *p->apparmor_profile && !apparmor_enabled())
		return berth_fail(err, "process.apparmorProfile '%s': apparmor is not enabled on "
				       "this host", p->apparmor_profile);
	if (p->selinux_label && *p->selinux_label && !selinux_enabled())
		return berth_fail(err, "process.selinuxLabel '%s': selinux is not enabled on this "
				       "host", p->selinux_label);
	return 0;
}

static int apply_apparmor(const char *profile, struct berth_error **err)
{
	_cleanup_free_ char *cmd = NULL;
	struct berth_error *first = NULL;

	if (asprintf(&cmd, "exec %s", profile) < 0)
		return berth_fail(err, "out of memory");
	/* The LSM-specific directory (Linux 5.1) first, the shared attr/exec on older kernels. */
	if (thread_self_write("attr/apparmor/exec", cmd, &first) == 0)
		return 0;
	if (first->errnum != ENOENT) {
		berth_fail_take(err, first->errnum, first->msg);
		free(first);
		return berth_wrap(err, "process.apparmorProfile '%s'", profile);
	}
	berth_error_free(first);
	if (thread_self_write("attr/exec", cmd, err) < 0)
		return berth_wrap(err, "process.apparmorProfile '%s'", profile);
	return 0;
}

int lsm_apply(const struct oci_process *p, struct berth_error **err)
{
	if (p->apparmor_profile && *p->apparmor_profile &&
	    apply_apparmor(p->apparmor_profile, err) < 0)
		return -1;
	if (p->selinux_label && *p->selinux_label &&
	    thread_self_write("attr/exec", p->selinux_label, err) < 0)
		return berth_wrap(err, "process.selinuxLabel '%s'", p->selinux_label);
	return 0;
}
