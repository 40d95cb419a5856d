/*
 * The features document (features.md, features-linux.md): what this build of berth
 * implements, so clients can decide before they create. It must only list what really works.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "features.h"
#include "seccomp.h"
#include "util.h"

static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
				     "startContainer", "poststart", "poststop", NULL };
static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec",
	"noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid",
	"nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime", "relatime", "remount",
	"rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime", "rnostrictatime",
	"rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw", "rshared",
	"rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent",
	"slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable", "idmap",
	"ridmap", NULL
};
static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid",
					  "user",   "uts", "time",  NULL };

static int strv_dup(const char *const *src, char ***dst, size_t *len)
{
	size_t n = 0, i;

	while (src[n])
		n++;
	*dst = calloc(n + 1, sizeof(char *));
	if (*dst == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (((*dst)[i] = strdup(src[i])) == NULL)
			return -1;
	*len = n;
	return 0;
}

static int capability_names(char ***dst, size_t *len)
{
	int i, n = cap_max_bits();

	*dst = calloc(n + 1, sizeof(char *));
	if (*dst == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		char *name = cap_to_name(i), *p;
		if (name == NULL)
			return -1;
		/* libcap spells them cap_sys_admin; the spec CAP_SYS_ADMIN. */
		if (asprintf(&(*dst)[i], "CAP_%s", name + 4) < 0) {
			cap_free(name);
			return -1;
		}
		cap_free(name);
		for (p = (*dst)[i]; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p -= 'a' - 'A';
		*len = i + 1;
	}
	return 0;
}

static struct oci_features_enabled *enabled(bool on)
{
	struct oci_features_enabled *e = calloc(1, sizeof(*e));
	if (e) {
		e->enabled = on;
		e->has_enabled = true;
	}
	return e;
}

int berth_features(struct oci_features **out, struct berth_error **err)
{
	struct oci_features *f = calloc(1, sizeof(*f));
	struct oci_features_linux *l;

	*out = NULL;
	if (f == NULL)
		return berth_fail(err, "out of memory");
	f->oci_version_min = strdup("1.0.0");
	f->oci_version_max = strdup(BERTH_SPEC_VERSION);
	f->linux_ = l = calloc(1, sizeof(*l));
	if (!f->oci_version_min || !f->oci_version_max || !l ||
	    strv_dup(hooks, &f->hooks, &f->hooks_len) < 0 ||
	    strv_dup(mount_options, &f->mount_options, &f->mount_options_len) < 0 ||
	    strv_dup(namespaces, &l->namespaces, &l->namespaces_len) < 0 ||
	    capability_names(&l->capabilities, &l->capabilities_len) < 0)
		goto oom;
	l->cgroup = calloc(1, sizeof(*l->cgroup));
	if (l->cgroup == NULL)
		goto oom;
	l->cgroup->v1 = l->cgroup->v2 = true;
	l->cgroup->has_v1 = l->cgroup->has_v2 = true;
	l->cgroup->has_systemd = l->cgroup->has_systemd_user = true;
	l->cgroup->has_rdma = true;
	l->cgroup->rdma = true;
	if (seccomp_features(&l->seccomp, err) < 0) {
		oci_free(&oci_features_type, f);
		return -1;
	}
	l->apparmor = enabled(true);
	l->selinux = enabled(true);
	l->intel_rdt = enabled(false);
	l->net_devices = enabled(true);
	l->mount_extensions = calloc(1, sizeof(*l->mount_extensions));
	if (!l->apparmor || !l->selinux || !l->intel_rdt || !l->net_devices ||
	    !l->mount_extensions || !(l->mount_extensions->idmap = enabled(true)))
		goto oom;
	if (oci_map_set(&f->annotations, "org.opencontainers.runc.version", PACKAGE_VERSION) < 0 ||
	    oci_map_set(&f->annotations, "io.github.berth.commit", BERTH_COMMIT) < 0)
		goto oom;
	*out = f;
	return 0;
oom:
	oci_free(&oci_features_type, f);
	return berth_fail(err, "out of memory");
}
