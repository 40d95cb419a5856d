/* The default runtime configuration (`berth spec`), as JSON text. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

const char *berth_default_spec(void);

#endif
