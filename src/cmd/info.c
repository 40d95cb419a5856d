/*
 * state, list, ps, pause, resume: the subcommands that report on (or freeze) existing
 * containers. Output formats are runc's: clients such as containerd parse them.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lifecycle.h"

static int print_json(const struct oci_type *type, const void *obj, struct berth_error **err)
{
	char *json = NULL, *msg = NULL;

	if (oci_generate(type, obj, true, &json, NULL, &msg) < 0)
		return berth_fail_take(err, 0, msg);
	puts(json);
	free(json);
	return 0;
}

int cmd_state(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	struct oci_state *s;
	const char *id;
	int r;

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		return printf("usage: berth state ID\n"), 0;
	if (command_id(argc, argv, "state", &id, err) < 0)
		return 1;
	if (container_state(id, o, &s, err) < 0)
		return 1;
	r = print_json(&oci_state_type, s, err);
	oci_free(&oci_state_type, s);
	return r < 0 ? 1 : 0;
}

/* Parse `--format table|json` (and -q for list). */
static int parse_format(int argc, char **argv, const char *usage, bool *json, bool *quiet,
			struct berth_error **err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*json = false;
	while ((c = getopt_long(argc, argv, quiet ? "+f:qh" : "+f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") == 0)
				*json = true;
			else if (strcmp(optarg, "table") != 0)
				return berth_fail(err, "--format: expected table or json, got '%s'",
						  optarg);
			break;
		case 'q':
			if (quiet == NULL)
				return berth_fail(err, "unknown option '-q'");
			*quiet = true;
			break;
		case 'h':
			printf("%s", usage);
			return 1;
		default:
			return berth_fail(err, "invalid option");
		}
	}
	return 0;
}

int cmd_list(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	struct oci_state **list;
	bool json, quiet = false;
	size_t i, n;
	int r;

	r = parse_format(argc, argv,
			 "usage: berth list [-q] [--format table|json]\n", &json, &quiet, err);
	if (r != 0)
		return r > 0 ? 0 : 1;
	if (container_list(o, &list, &n, err) < 0)
		return 1;
	if (json)
		printf("[");
	else if (!quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (i = 0; i < n; i++) {
		struct oci_state *s = list[i];
		if (json) {
			char *text = NULL, *msg = NULL;
			if (oci_generate(&oci_state_type, s, false, &text, NULL, &msg) == 0)
				printf("%s%s", i ? "," : "", text);
			free(text);
			free(msg);
		} else if (quiet) {
			printf("%s\n", s->id);
		} else {
			printf("%-12s %-8lld %-10s %-40s %-30s %s\n", s->id, (long long)s->pid,
			       s->status, s->bundle, s->created ? s->created : "",
			       s->owner ? s->owner : "");
		}
		oci_free(&oci_state_type, s);
	}
	if (json)
		printf("]\n");
	free(list);
	return 0;
}

static void print_cmdline(pid_t pid)
{
	char path[64], buf[4096];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		putchar('\n');
		return;
	}
	for (i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	printf("%s\n", buf);
}

int cmd_ps(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	const char *id;
	bool json;
	pid_t *pids;
	size_t i, n;
	int r;

	r = parse_format(argc, argv, "usage: berth ps [--format table|json] ID\n", &json, NULL,
			 err);
	if (r != 0)
		return r > 0 ? 0 : 1;
	if (command_id(argc, argv, "ps", &id, err) < 0)
		return 1;
	if (container_pids(id, o, &pids, &n, err) < 0)
		return 1;
	if (json) {
		printf("[");
		for (i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
	} else {
		printf("%-8s %s\n", "PID", "CMD");
		for (i = 0; i < n; i++) {
			printf("%-8d ", (int)pids[i]);
			print_cmdline(pids[i]);
		}
	}
	free(pids);
	return 0;
}

static int pause_or_resume(int argc, char **argv, struct berth_options *o, bool pause,
			   struct berth_error **err)
{
	const char *id;

	if (command_id(argc, argv, pause ? "pause" : "resume", &id, err) < 0)
		return 1;
	return container_pause(id, o, pause, err) < 0 ? 1 : 0;
}

int cmd_pause(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	return pause_or_resume(argc, argv, o, true, err);
}

int cmd_resume(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	return pause_or_resume(argc, argv, o, false, err);
}
