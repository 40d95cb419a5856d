/* berth: the runc-compatible command line. Global flags and the subcommand table live here. */
#include "config.h"

#include <stdio.h>

int main(void)
{
	printf("berth version %s\n", PACKAGE_VERSION);
	return 0;
}
