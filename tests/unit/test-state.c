/*
 * The container state (runtime.md "State", with runc's rootfs/created/owner) through
 * libocispec: parse, check, round trip, and the shape berth writes for a stopped container.
 */
#include "config.h"

#include "oci-test.h"
#include "runtime.h"

static void check_state(const struct oci_state *s, const char *t)
{
	if (!ok(s != NULL, "%s: state present", t))
		return;
	is_str(s->oci_version, "1.3.0", "%s: ociVersion", t);
	is_str(s->id, "oci-container1", "%s: id", t);
	is_str(s->status, "running", "%s: status", t);
	ok(s->has_pid && s->pid == 4422, "%s: pid", t);
	is_str(s->bundle, "/containers/redis", "%s: bundle", t);
	is_str(s->rootfs, "/containers/redis/rootfs", "%s: rootfs", t);
	is_str(s->created, "2024-05-01T12:34:56.123456789Z", "%s: created", t);
	is_str(s->owner, "", "%s: an empty owner is kept as an empty string", t);
	is_int((long long)s->annotations.len, 2, "%s: two annotations", t);
	is_str(oci_map_get(&s->annotations, "io.kubernetes.cri.sandbox-id"), "c0ffee",
	       "%s: annotation lookup", t);
}

static void test_state_document(void)
{
	struct oci_state *s = parse_fixture(&oci_state_type, "state.json"), *again;

	check_state(s, "state");
	if (s == NULL)
		return;
	again = round_trip(&oci_state_type, s, "state");
	check_state(again, "state, round-tripped");
	oci_free(&oci_state_type, again);
	oci_free(&oci_state_type, s);
}

static void test_stopped_state_written_from_scratch(void)
{
	struct oci_state s = {
		.oci_version = "1.3.0",
		.id = "c1",
		.status = "stopped",
		.bundle = "/b",
	};
	char *json = NULL, *err = NULL;

	/* A stopped container has no pid: without has_pid nothing is written. */
	if (ok(oci_generate(&oci_state_type, &s, false, &json, NULL, &err) == 0,
	       "a state built in C generates"))
		is_str(json,
		       "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"stopped\","
		       "\"bundle\":\"/b\"}",
		       "a stopped state without pid, rootfs or annotations");
	free(json);
	json = NULL;
	s.pid = 0;
	s.has_pid = true;
	if (oci_generate(&oci_state_type, &s, false, &json, NULL, &err) == 0)
		ok(strstr(json, "\"pid\":0") != NULL, "has_pid writes pid 0");
	else
		ok(0, "a state with pid 0 generates");
	free(json);
	free(err);
}

static void test_state_errors(void)
{
	parse_fails(&oci_state_type, "state.json",
		    "{\"ociVersion\":\"1.3.0\",\"id\":\"c\",\"status\":\"running\"}",
		    "state.json: bundle: is required");
	parse_fails(&oci_state_type, "state.json",
		    "{\"ociVersion\":\"1.3.0\",\"id\":\"c\",\"status\":\"running\",\"bundle\":\"/b\","
		    "\"pid\":\"42\"}",
		    "state.json: pid: expected integer");
}

int main(void)
{
	test_state_document();
	test_stopped_state_written_from_scratch();
	test_state_errors();
	return done();
}
