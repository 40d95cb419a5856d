/* The runtime-spec features document for `berth features`. */
#ifndef BERTH_FEATURES_DOC_H
#define BERTH_FEATURES_DOC_H

#include "error.h"
#include "runtime.h"

int berth_features(struct oci_features **out, struct berth_error **err);
/* Provided by seccomp.c: the seccomp part of the document (actions, operators, archs,
 * flags); allocates *out. */
int seccomp_features_fill(struct oci_features_seccomp **out);

#endif
