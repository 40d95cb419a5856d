/*
 * process.json (`berth exec --process`) through libocispec: a process object on its own
 * parsed with oci_process_type, checked, round-tripped, and its required cwd enforced.
 */
#include "config.h"

#include "oci-test.h"
#include "runtime.h"

static void check_process(const struct oci_process *p, const char *t)
{
	if (!ok(p != NULL, "%s: process present", t))
		return;
	ok(!p->terminal, "%s: terminal false", t);
	ok(p->user && p->user->uid == 33 && p->user->gid == 33 &&
		   p->user->additional_gids_len == 1 && p->user->additional_gids[0] == 4,
	   "%s: user www-data with one additional gid", t);
	is_int((long long)p->args_len, 4, "%s: four args", t);
	if (p->args_len == 4) {
		is_str(p->args[1], "--", "%s: args[1]", t);
		ok(p->args[4] == NULL, "%s: args NULL-terminated", t);
	}
	is_int((long long)p->env_len, 3, "%s: three env entries", t);
	if (p->env_len == 3)
		is_str(p->env[2], "EMPTY=", "%s: an empty value is kept", t);
	is_str(p->cwd, "/var/www", "%s: cwd", t);
	ok(p->capabilities && p->capabilities->effective && !p->capabilities->effective_len &&
		   !p->capabilities->ambient,
	   "%s: empty effective set, absent ambient", t);
	ok(p->rlimits_len == 1 && p->rlimits[0].soft == 64 && p->rlimits[0].hard == 128,
	   "%s: rlimits", t);
	ok(p->no_new_privileges, "%s: noNewPrivileges", t);
	is_str(p->apparmor_profile, "unconfined", "%s: apparmorProfile", t);
	ok(p->has_oom_score_adj && p->oom_score_adj == 500, "%s: oomScoreAdj", t);
	ok(p->scheduler && p->scheduler->nice == 10 && p->scheduler->flags == NULL,
	   "%s: scheduler", t);
	is_str(p->selinux_label, "system_u:system_r:container_t:s0", "%s: selinuxLabel", t);
	ok(p->io_priority && strcmp(p->io_priority->class_, "IOPRIO_CLASS_IDLE") == 0 &&
		   p->io_priority->priority == 0,
	   "%s: ioPriority", t);
	ok(p->exec_cpu_affinity && p->exec_cpu_affinity->initial == NULL &&
		   strcmp(p->exec_cpu_affinity->final, "1") == 0,
	   "%s: execCPUAffinity with final only", t);
	ok(p->console_size && p->console_size->height == 0, "%s: consoleSize 0x0", t);
}

int main(void)
{
	struct oci_process *p = parse_fixture(&oci_process_type, "process.json"), *again;

	check_process(p, "process");
	if (p) {
		again = round_trip(&oci_process_type, p, "process");
		check_process(again, "process, round-tripped");
		oci_free(&oci_process_type, again);
		oci_free(&oci_process_type, p);
	}
	parse_fails(&oci_process_type, "process.json", "{\"args\":[\"sh\"]}",
		    "process.json: cwd: is required");
	parse_fails(&oci_process_type, "process.json",
		    "{\"cwd\":\"/\",\"args\":\"sh -c true\"}",
		    "process.json: args: expected array");
	parse_fails(&oci_process_type, "process.json",
		    "{\"cwd\":\"/\",\"consoleSize\":{\"height\":24}}",
		    "process.json: consoleSize.width: is required");
	return done();
}
