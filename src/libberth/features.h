/* The runtime-spec features document for `berth features`. */
#ifndef BERTH_FEATURES_H
#define BERTH_FEATURES_H

#include "error.h"
#include "runtime.h"

int berth_features(struct oci_features **out, struct berth_error **err);

#endif
