/* spec and features: documents berth writes without touching any container. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "features.h"
#include "spec.h"

int cmd_spec(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bundle = ".", *text = berth_default_spec();
	char path[4096];
	size_t len = strlen(text), done = 0;
	int c, fd;

	while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			bundle = optarg;
			break;
		case 'r':
			return berth_fail(err, "--rootless: rootless containers are not supported yet"),
			       1;
		case 'h':
			printf("usage: berth spec [--bundle DIR]\n\nWrite a default config.json "
			       "into DIR (default: the current directory).\n");
			return 0;
		default:
			return berth_fail(err, "invalid option (see 'berth spec --help')"), 1;
		}
	}
	if (optind < argc)
		return berth_fail(err, "unexpected argument '%s'", argv[optind]), 1;
	if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
		return berth_fail(err, "--bundle: path too long"), 1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return berth_fail(err, "file %s exists: remove it first", path), 1;
		return berth_fail_errno(err, errno, "create '%s'", path), 1;
	}
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return berth_fail_errno(err, e, "write '%s'", path), 1;
		}
		done += n;
	}
	close(fd);
	return 0;
}

int cmd_features(int argc, char **argv, struct berth_options *o, struct berth_error **err)
{
	struct oci_features *f;
	char *json = NULL, *msg = NULL;

	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		return printf("usage: berth features\n"), 0;
	if (berth_features(&f, err) < 0)
		return 1;
	if (oci_generate(&oci_features_type, f, true, &json, NULL, &msg) < 0) {
		oci_free(&oci_features_type, f);
		return berth_fail_take(err, 0, msg), 1;
	}
	puts(json);
	free(json);
	oci_free(&oci_features_type, f);
	return 0;
}
