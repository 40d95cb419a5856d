/*
 * The features document (features.md, features-linux.md) through libocispec: every member
 * parsed and checked, round trip, and the difference between "false" and "absent".
 */
#include "config.h"

#include "oci-test.h"
#include "runtime.h"

static void check_features(const struct oci_features *f, const char *t)
{
	const struct oci_features_linux *l;

	if (!ok(f != NULL, "%s: features present", t))
		return;
	is_str(f->oci_version_min, "1.0.0", "%s: ociVersionMin", t);
	is_str(f->oci_version_max, "1.3.0", "%s: ociVersionMax", t);
	is_int((long long)f->hooks_len, 6, "%s: six hooks", t);
	if (f->hooks_len == 6)
		is_str(f->hooks[3], "startContainer", "%s: hooks[3]", t);
	is_int((long long)f->mount_options_len, 8, "%s: eight mount options", t);
	is_str(oci_map_get(&f->annotations, "io.github.berth.version"), "0.1.0",
	       "%s: annotations", t);
	is_int((long long)f->potentially_unsafe_config_annotations_len, 2,
	       "%s: potentiallyUnsafeConfigAnnotations", t);
	if (!ok((l = f->linux_) != NULL, "%s: linux present", t))
		return;
	is_int((long long)l->namespaces_len, 8, "%s: eight namespaces", t);
	is_int((long long)l->capabilities_len, 3, "%s: three capabilities", t);
	if (ok(l->cgroup != NULL, "%s: cgroup present", t)) {
		ok(l->cgroup->has_v1 && l->cgroup->v1 && l->cgroup->has_v2 && l->cgroup->v2,
		   "%s: cgroup v1 and v2", t);
		ok(l->cgroup->has_systemd && !l->cgroup->systemd, "%s: systemd false is set", t);
		ok(l->cgroup->has_systemd_user && !l->cgroup->systemd_user, "%s: systemdUser", t);
		ok(l->cgroup->has_rdma && l->cgroup->rdma, "%s: cgroup rdma", t);
	}
	if (ok(l->seccomp != NULL, "%s: seccomp present", t)) {
		ok(l->seccomp->has_enabled && l->seccomp->enabled, "%s: seccomp.enabled", t);
		is_int((long long)l->seccomp->actions_len, 3, "%s: seccomp actions", t);
		is_int((long long)l->seccomp->operators_len, 2, "%s: seccomp operators", t);
		is_int((long long)l->seccomp->archs_len, 2, "%s: seccomp archs", t);
		is_int((long long)l->seccomp->known_flags_len, 2, "%s: knownFlags", t);
		is_int((long long)l->seccomp->supported_flags_len, 1, "%s: supportedFlags", t);
	}
	ok(l->apparmor && l->apparmor->has_enabled && !l->apparmor->enabled, "%s: apparmor", t);
	ok(l->selinux && l->selinux->has_enabled && !l->selinux->enabled, "%s: selinux", t);
	ok(l->intel_rdt && l->intel_rdt->enabled, "%s: intelRdt", t);
	ok(l->mount_extensions && l->mount_extensions->idmap &&
		   l->mount_extensions->idmap->enabled,
	   "%s: mountExtensions.idmap", t);
	ok(l->net_devices && l->net_devices->enabled, "%s: netDevices", t);
	ok(l->memory_policy && l->memory_policy->modes_len == 3 &&
		   l->memory_policy->flags_len == 2,
	   "%s: memoryPolicy modes and flags", t);
}

static void test_features_document(void)
{
	struct oci_features *f = parse_fixture(&oci_features_type, "features.json"), *again;

	check_features(f, "features");
	if (f == NULL)
		return;
	again = round_trip(&oci_features_type, f, "features");
	check_features(again, "features, round-tripped");
	oci_free(&oci_features_type, again);
	oci_free(&oci_features_type, f);
}

static void test_absent_is_not_false(void)
{
	const char *json = "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.3.0\","
			   "\"linux\":{\"cgroup\":{\"v2\":true},\"apparmor\":{}}}";
	struct oci_features *f = NULL;
	char *out = NULL, *err = NULL;

	if (!ok(oci_parse(&oci_features_type, json, strlen(json), "features", (void **)&f,
			  &err) == 0,
		"a sparse features document parses"))
		diag("error: %s", err);
	if (f && f->linux_ && f->linux_->cgroup) {
		ok(!f->linux_->cgroup->has_v1, "absent cgroup.v1 is unknown, not false");
		ok(f->linux_->apparmor && !f->linux_->apparmor->has_enabled,
		   "an empty apparmor object has no enabled member");
	}
	if (f && oci_generate(&oci_features_type, f, false, &out, NULL, &err) == 0)
		is_str(out, json, "a sparse document is written back as it was");
	else
		ok(0, "a sparse features document generates");
	free(out);
	free(err);
	oci_free(&oci_features_type, f);
}

int main(void)
{
	test_features_document();
	test_absent_is_not_false();
	parse_fails(&oci_features_type, "features", "{\"ociVersionMin\":\"1.0.0\"}",
		    "features: ociVersionMax: is required");
	parse_fails(&oci_features_type, "features",
		    "{\"ociVersionMin\":\"1\",\"ociVersionMax\":\"1\",\"linux\":{\"cgroup\":"
		    "{\"v2\":\"yes\"}}}",
		    "features: linux.cgroup.v2: expected boolean");
	return done();
}
