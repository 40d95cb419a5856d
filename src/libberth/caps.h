/*
 * process.capabilities as bit masks: names are turned into numbers with libcap, checked
 * against what berth itself holds, and applied with prctl/capset around the uid switch.
 * Only process.c uses this; it must never grant a capability the config did not name
 * (inheritable and ambient stay empty unless asked: CVE-2022-29162, CVE-2022-27650).
 */
#ifndef BERTH_CAPS_H
#define BERTH_CAPS_H

#include <stdint.h>

#include "container.h"

struct caps_plan {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* Parse and check `caps`; when it is NULL the plan is what the caller holds now (capabilities
 * are left alone). `field` names the object in messages ("process.capabilities"). */
int caps_plan_make(const struct oci_capabilities *caps, struct caps_plan *plan,
		   struct berth_error **err);
/* Drop every capability outside plan->bounding from the bounding set (needs CAP_SETPCAP). */
int caps_drop_bounding(const struct caps_plan *plan, struct berth_error **err);
/* capset(effective | extra, permitted | extra, inheritable), then the ambient set. `extra`
 * keeps a capability berth itself still needs (CAP_SYS_ADMIN for seccomp without
 * noNewPrivileges) until caps_set is called again without it. */
int caps_set(const struct caps_plan *plan, uint64_t extra, struct berth_error **err);

#define CAP_BIT(cap) (UINT64_C(1) << (cap))

#endif
