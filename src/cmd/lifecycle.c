/*
 * create, start, run, kill, delete: the subcommands that drive a container through its
 * lifecycle. Flags and spellings are runc's, since containerd, conmon and dockerd use them.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "lifecycle.h"

enum { OPT_PID_FILE = 256, OPT_CONSOLE_SOCKET, OPT_NO_PIVOT, OPT_NO_NEW_KEYRING,
       OPT_PRESERVE_FDS, OPT_KEEP };

static const struct option create_options[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PID_FILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
	{ "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char create_help[] =
	"  -b, --bundle DIR          the bundle (default: the current directory)\n"
	"      --pid-file FILE       write the init's pid to FILE\n"
	"      --console-socket SOCK send the pty master to this unix socket\n"
	"      --no-pivot            use MS_MOVE + chroot instead of pivot_root\n"
	"      --no-new-keyring      keep the caller's session keyring\n"
	"      --preserve-fds N      pass fds 3..3+N-1 to the container\n";

/* Parse create's flags (and run's, when `run` is true). */
static int parse_create(int argc, char **argv, struct berth_options *o, bool run,
			struct berth_error **err)
{
	int c;

	while ((c = getopt_long(argc, argv, run ? "+b:dh" : "+b:h", create_options, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case OPT_CONSOLE_SOCKET:
			o->console_socket = optarg;
			break;
		case OPT_NO_PIVOT:
			o->no_pivot = true;
			break;
		case OPT_NO_NEW_KEYRING:
			o->no_new_keyring = true;
			break;
		case OPT_PRESERVE_FDS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 0 || n > 65536)
				return berth_fail(err, "--preserve-fds: expected a count, got '%s'",
						  optarg);
			o->preserve_fds = (int)n;
			break;
		}
		case 'd':
			if (!run)
				return berth_fail(err, "unknown option '--detach'");
			o->detach = true;
			break;
		case OPT_KEEP:
			if (!run)
				return berth_fail(err, "unknown option '--keep'");
			o->keep = true;
			break;
		case 'h':
			printf("usage: berth %s [options] ID\n\n%s%s", run ? "run" : "create",
			       create_help,
			       run ? "  -d, --detach              do not wait for the container\n"
				     "      --keep                do not delete the container after it exits\n"
				   : "");
			return 1;
		default:
			return berth_fail(err, "invalid option (see 'berth %s --help')",
					  run ? "run" : "create");
		}
	}
	return 0;
}

int cmd_create(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	const char *id;
	int r = parse_create(argc, argv, o, false, err);

	if (r != 0)
		return r > 0 ? 0 : 1;
	if (command_id(argc, argv, "create", &id, err) < 0)
		return 1;
	return container_create(id, o, NULL, err) < 0 ? 1 : 0;
}

int cmd_run(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	/* One process creates and starts: no start socket, no second command's round trip. */
	struct created_init init = { .start = true, .pidfd = -1, .pty_master = -1 };
	struct berth_error *cleanup_err = NULL;
	const char *id;
	int r = parse_create(argc, argv, o, true, err);

	if (r != 0)
		return r > 0 ? 0 : 1;
	if (command_id(argc, argv, "run", &id, err) < 0)
		return 1;
	if (container_create(id, o, &init, err) < 0)
		return 1;
	if (o->detach) {
		close(init.pidfd);
		if (init.pty_master >= 0)
			close(init.pty_master);
		return 0;
	}
	r = wait_forwarding_signals(init.pid, init.pidfd, init.pty_master, err);
	if (r < 0)
		r = 1;
	close(init.pidfd);
	if (init.pty_master >= 0)
		close(init.pty_master);
	if (!o->keep && container_delete(id, o, true, &cleanup_err) < 0) {
		log_warning("delete %s: %s", id, cleanup_err->msg);
		berth_error_free(cleanup_err);
	}
	return r;
}

int cmd_start(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	const char *id;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: berth start ID\n");
		return 0;
	}
	if (command_id(argc, argv, "start", &id, err) < 0)
		return 1;
	return container_start(id, o, err) < 0 ? 1 : 0;
}

int cmd_kill(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sigtext = "SIGTERM";
	bool all = false;
	int c, sig;

	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h')
			return printf("usage: berth kill [--all] ID [SIGNAL]\n"), 0;
		else
			return berth_fail(err, "invalid option (see 'berth kill --help')"), 1;
	}
	if (optind >= argc)
		return berth_fail(err, "container id cannot be empty"), 1;
	if (argc - optind > 2)
		return berth_fail(err, "expected ID [SIGNAL]"), 1;
	if (argc - optind == 2)
		sigtext = argv[optind + 1];
	sig = parse_signal(sigtext);
	if (sig < 0)
		return berth_fail(err, "invalid signal '%s'", sigtext), 1;
	return container_kill(argv[optind], o, sig, all, err) < 0 ? 1 : 0;
}

int cmd_delete(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	const char *id;
	int c;

	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return printf("usage: berth delete [--force] ID\n"), 0;
		else
			return berth_fail(err, "invalid option (see 'berth delete --help')"), 1;
	}
	if (command_id(argc, argv, "delete", &id, err) < 0)
		return 1;
	return container_delete(id, o, force, err) < 0 ? 1 : 0;
}
