/*
 * berth: the runc-compatible command line. Global flags come before the subcommand
 * (containerd, conmon and dockerd call it that way); errors are printed on stderr and, with
 * --log, written to the log as one line each (JSON with --log-format json), since containerd
 * shows the last error line of that file to users.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "state.h"
#include "timestamp.h"

static FILE *log_file;
static bool log_json;
static bool debug;

struct command {
	const char *name;
	command_fn *fn;
	const char *summary;
};

static const struct command commands[] = {
	{ "create", cmd_create, "create a container" },
	{ "start", cmd_start, "start a created container" },
	{ "state", cmd_state, "output the state of a container" },
	{ "kill", cmd_kill, "send a signal to the container's init process" },
	{ "delete", cmd_delete, "delete a container and what it holds" },
	{ "run", cmd_run, "create and start a container, and wait for it" },
	{ "exec", cmd_exec, "run a new process inside a container" },
	{ "list", cmd_list, "list containers" },
	{ "ps", cmd_ps, "list the processes of a container" },
	{ "pause", cmd_pause, "suspend every process of a container" },
	{ "resume", cmd_resume, "resume a paused container" },
	{ "update", cmd_update, "update a container's resource limits" },
	{ "events", cmd_events, "show a container's events and statistics" },
	{ "spec", cmd_spec, "write a default config.json" },
	{ "features", cmd_features, "show what this runtime supports" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: berth [global options] COMMAND [options] [ID] [ARGS...]\n\n"
		     "berth runs OCI bundles (config.json + rootfs) as containers.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  %-10s %s\n", "help", "show this help");
	fprintf(out, "\nglobal options:\n"
		     "  --root DIR          state directory (default " BERTH_DEFAULT_ROOT ")\n"
		     "  --log FILE          also write errors (and --debug lines) to FILE\n"
		     "  --log-format FMT    text or json\n"
		     "  --debug             log debug lines\n"
		     "  --systemd-cgroup    treat cgroupsPath as slice:prefix:name\n"
		     "  -v, --version       print the version\n"
		     "  -h, --help          show this help\n"
		     "\nRun 'berth COMMAND --help' for a command's options.\n");
}

static void print_version(void)
{
	printf("berth version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, BERTH_COMMIT,
	       BERTH_SPEC_VERSION);
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = *s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
}

static void log_line(const char *level, const char *msg)
{
	struct timespec ts;
	char when[RFC3339_MAX];

	if (log_file == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	rfc3339_format(when, &ts, false);
	if (log_json) {
		fprintf(log_file, "{\"level\":\"%s\",\"msg\":\"", level);
		json_escape(log_file, msg);
		fprintf(log_file, "\",\"time\":\"%s\"}\n", when);
	} else {
		fprintf(log_file, "time=\"%s\" level=%s msg=\"", when, level);
		json_escape(log_file, msg);
		fputs("\"\n", log_file);
	}
	fflush(log_file);
}

static void vlog(const char *level, const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	log_line(level, msg);
	if (strcmp(level, "warning") == 0)
		fprintf(stderr, "berth: warning: %s\n", msg);
	free(msg);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap);
	va_end(ap);
}

void log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", fmt, ap);
	va_end(ap);
}

int command_id(int argc, char **argv, const char *cmd, const char **id, struct berth_error **err)
{
	if (optind >= argc)
		return berth_fail(err, "%s: container id cannot be empty", cmd);
	if (argc - optind > 1)
		return berth_fail(err, "%s: expected one container id, got %d arguments", cmd,
				  argc - optind);
	*id = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option globals[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ "log-format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "systemd-cgroup", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_options o = { .preserve_fds = 0 };
	struct berth_error *err = NULL;
	const char *log_path = NULL, *log_format = "text";
	const struct command *cmd = NULL;
	size_t i;
	int c, rc;

	/* With a closed stdio, our own fds would take 0-2 and reach the container as its stdio. */
	while ((c = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && c <= 2)
		fcntl(c, F_SETFD, 0);
	if (c > 2)
		close(c);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", globals, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.root = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'f':
			log_format = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 's':
			o.systemd_cgroup = true;
			break;
		case 'v':
			print_version();
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "berth: unknown global option '%s'\n", argv[optind - 1]);
			return 1;
		}
	}
	if (strcmp(log_format, "json") == 0) {
		log_json = true;
	} else if (strcmp(log_format, "text") != 0) {
		fprintf(stderr, "berth: --log-format: expected text or json, got '%s'\n", log_format);
		return 1;
	}
	if (log_path) {
		log_file = fopen(log_path, "ae");
		if (log_file == NULL) {
			fprintf(stderr, "berth: --log: open '%s': %s\n", log_path, strerror(errno));
			return 1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	if (strcmp(argv[optind], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "berth: unknown command '%s' (see 'berth help')\n", argv[optind]);
		log_line("error", "unknown command");
		return 1;
	}
	argc -= optind;
	argv += optind;
	optind = 1;
	opterr = 1;
	log_debug("%s: started", cmd->name);
	rc = cmd->fn(argc, argv, &o, &err);
	if (err) {
		fprintf(stderr, "berth: %s: %s\n", cmd->name, err->msg);
		log_line("error", err->msg);
		berth_error_free(err);
		if (rc == 0)
			rc = 1;
	}
	if (log_file)
		fclose(log_file);
	return rc;
}
