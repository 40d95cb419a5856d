/*
 * hello: the program inside berth's hello-world bundle (scripts/demo.sh). It writes one greeting
 * to stdout and exits 0, or 1 when stdout cannot take it.
 *
 * It is linked statically so that the rootfs needs nothing else, and it uses write(2) alone: no
 * stdio, no locale, no files. It must never depend on anything in the rootfs beyond itself.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

static const char greeting[] =
	"\n"
	"Hello from berth!\n"
	"This message shows that your installation appears to be working correctly.\n"
	"\n"
	"To generate this message, the following steps took place:\n"
	" 1. A bundle was prepared: a rootfs/ directory holding only this static\n"
	"    program, and a config.json saying which process to run in it.\n"
	" 2. berth created the container: new namespaces, the mounts from\n"
	"    config.json, then the container's process, waiting to be started.\n"
	" 3. berth started the container: that process executed this program,\n"
	"    which wrote this message straight to your terminal.\n"
	"\n"
	"To try something more ambitious, fetch an image from Docker Hub:\n"
	" $ berth-pull bundle busybox /tmp/busybox\n"
	" $ berth run -b /tmp/busybox my-busybox\n"
	"\n"
	"To make a bundle of your own, write its config.json with:\n"
	" $ berth spec\n"
	"\n";

int main(void)
{
	const char *p = greeting;
	size_t left = sizeof(greeting) - 1;

	/* A pipe or a slow terminal may take the message in pieces. */
	while (left > 0) {
		ssize_t n = write(STDOUT_FILENO, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}
