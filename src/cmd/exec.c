/*
 * exec: a new process in a running container, from --process FILE (process.json, as the
 * containerd shim and conmon pass it) or from the command line on top of the container's
 * own process settings (as runc does).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "lifecycle.h"

enum { OPT_CONSOLE_SOCKET = 256, OPT_PID_FILE, OPT_CWD, OPT_NO_NEW_PRIVS, OPT_PRESERVE_FDS,
       OPT_APPARMOR, OPT_PROCESS_LABEL };

static int strv_append(char ***v, size_t *len, const char *s)
{
	char **grown = realloc(*v, (*len + 2) * sizeof(char *));
	if (grown == NULL)
		return -1;
	*v = grown;
	if ((grown[*len] = strdup(s)) == NULL)
		return -1;
	grown[++*len] = NULL;
	return 0;
}

static int replace_str(char **dst, const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* -e NAME=VALUE replaces a variable of the same name, or adds it. */
static int set_env(struct oci_process *p, const char *kv)
{
	size_t i, n = strcspn(kv, "=");

	for (i = 0; i < p->env_len; i++)
		if (strncmp(p->env[i], kv, n) == 0 && p->env[i][n] == '=')
			return replace_str(&p->env[i], kv);
	return strv_append(&p->env, &p->env_len, kv);
}

static int set_user(struct oci_process *p, const char *spec, struct berth_error **err)
{
	unsigned long uid, gid = 0;
	char *end;

	uid = strtoul(spec, &end, 10);
	if (end == spec || (*end && *end != ':'))
		return berth_fail(err, "--user: expected UID[:GID], got '%s'", spec);
	if (*end == ':') {
		char *g = end + 1;
		gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return berth_fail(err, "--user: expected UID[:GID], got '%s'", spec);
	}
	if (p->user == NULL && (p->user = calloc(1, sizeof(*p->user))) == NULL)
		return berth_fail(err, "out of memory");
	p->user->uid = uid;
	p->user->gid = gid;
	return 0;
}

static int add_cap(struct oci_process *p, const char *cap)
{
	struct oci_capabilities *c = p->capabilities;

	if (c == NULL && (c = p->capabilities = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (strv_append(&c->bounding, &c->bounding_len, cap) < 0 ||
	    strv_append(&c->effective, &c->effective_len, cap) < 0 ||
	    strv_append(&c->permitted, &c->permitted_len, cap) < 0)
		return -1;
	return 0;
}

int cmd_exec(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "tty", no_argument, NULL, 't' },
		{ "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
		{ "detach", no_argument, NULL, 'd' },
		{ "pid-file", required_argument, NULL, OPT_PID_FILE },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, OPT_CWD },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
		{ "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
		{ "apparmor", required_argument, NULL, OPT_APPARMOR },
		{ "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	/* Command-line settings are applied after the template is loaded, in order. */
	struct setting {
		int opt;
		const char *arg;
	} *settings = NULL;
	size_t nsettings = 0, i;
	const char *process_file = NULL, *id;
	struct oci_process *p = NULL;
	bool tty = false;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "+p:tde:u:g:c:h", opts, NULL)) != -1) {
		struct setting *grown;
		switch (c) {
		case 'p':
			process_file = optarg;
			continue;
		case 't':
			tty = true;
			continue;
		case OPT_CONSOLE_SOCKET:
			o->console_socket = optarg;
			continue;
		case 'd':
			o->detach = true;
			continue;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			continue;
		case OPT_PRESERVE_FDS:
			o->preserve_fds = atoi(optarg);
			continue;
		case 'h':
			printf("usage: berth exec [options] ID [COMMAND [ARGS...]]\n\n"
			       "  -p, --process FILE      process.json to run (instead of COMMAND)\n"
			       "  -t, --tty               allocate a pseudo-terminal\n"
			       "      --console-socket S  send the pty master to this unix socket\n"
			       "  -d, --detach            do not wait for the process\n"
			       "      --pid-file FILE     write the process's pid to FILE\n"
			       "  -e, --env NAME=VALUE    set an environment variable\n"
			       "      --cwd DIR           working directory\n"
			       "  -u, --user UID[:GID]    user to run as\n"
			       "  -g, --additional-gids G add a supplementary group\n"
			       "  -c, --cap CAP           add a capability\n"
			       "      --no-new-privs      set no_new_privs\n"
			       "      --preserve-fds N    pass fds 3..3+N-1\n"
			       "      --apparmor PROFILE  AppArmor profile\n"
			       "      --process-label L   SELinux label\n");
			free(settings);
			return 0;
		case '?':
			free(settings);
			return berth_fail(err, "invalid option (see 'berth exec --help')"), 1;
		}
		grown = realloc(settings, (nsettings + 1) * sizeof(*settings));
		if (grown == NULL) {
			free(settings);
			return berth_fail(err, "out of memory"), 1;
		}
		settings = grown;
		settings[nsettings++] = (struct setting){ c, optarg };
	}
	if (optind >= argc) {
		berth_fail(err, "container id cannot be empty");
		goto out;
	}
	id = argv[optind++];
	if (process_file) {
		char *msg = NULL;
		if (optind < argc) {
			berth_fail(err, "--process and a command line cannot be combined");
			goto out;
		}
		if (oci_parse_file(&oci_process_type, process_file, (void **)&p, &msg) < 0) {
			berth_fail_take(err, 0, msg);
			goto out;
		}
	} else {
		if (optind >= argc) {
			berth_fail(err, "exec: command cannot be empty");
			goto out;
		}
		if (container_process_template(id, o, &p, err) < 0)
			goto out;
		for (i = 0; i < p->args_len; i++)
			free(p->args[i]);
		p->args_len = 0;
		for (; optind < argc; optind++)
			if (strv_append(&p->args, &p->args_len, argv[optind]) < 0)
				goto oom;
		p->terminal = tty;
	}
	for (i = 0; i < nsettings; i++) {
		const char *arg = settings[i].arg;
		switch (settings[i].opt) {
		case 'e':
			if (set_env(p, arg) < 0)
				goto oom;
			break;
		case OPT_CWD:
			if (replace_str(&p->cwd, arg) < 0)
				goto oom;
			break;
		case 'u':
			if (set_user(p, arg, err) < 0)
				goto out;
			break;
		case 'g': {
			uint32_t *grown;
			if (p->user == NULL && (p->user = calloc(1, sizeof(*p->user))) == NULL)
				goto oom;
			grown = realloc(p->user->additional_gids,
					(p->user->additional_gids_len + 1) * sizeof(uint32_t));
			if (grown == NULL)
				goto oom;
			p->user->additional_gids = grown;
			grown[p->user->additional_gids_len++] = strtoul(arg, NULL, 10);
			break;
		}
		case 'c':
			if (add_cap(p, arg) < 0)
				goto oom;
			break;
		case OPT_NO_NEW_PRIVS:
			p->no_new_privileges = true;
			break;
		case OPT_APPARMOR:
			if (replace_str(&p->apparmor_profile, arg) < 0)
				goto oom;
			break;
		case OPT_PROCESS_LABEL:
			if (replace_str(&p->selinux_label, arg) < 0)
				goto oom;
			break;
		}
	}
	rc = container_exec(id, o, p, err);
	if (rc < 0)
		rc = 1;
	goto out;
oom:
	berth_fail(err, "out of memory");
out:
	oci_free(&oci_process_type, p);
	free(settings);
	return rc;
}
