/*
 * cgroup_shares_to_weight (src/libberth/cgroup-weight.c), berth's integer form of the
 * cpu.shares → cpu.weight conversion, against the floating-point formula runc and crun
 * compute with libm, for every valid shares value (2..262144), and at the edges around them.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>

#include "cgroup-internal.h"
#include "tap.h"

/* The formula as runc (≥ 1.3.2) and crun (≥ 1.23) write it. */
static uint64_t weight_from_formula(uint64_t shares)
{
	double l, exponent;

	if (shares == 0)
		return 0;
	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	l = log2((double)shares);
	exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
	return (uint64_t)ceil(pow(10, exponent));
}

static void test_every_valid_shares_value_matches_the_formula(void)
{
	uint64_t shares, mismatches = 0;

	for (shares = 2; shares <= 262144; shares++) {
		uint64_t got = cgroup_shares_to_weight(shares), want = weight_from_formula(shares);

		if (got != want && ++mismatches <= 10)
			diag("shares %" PRIu64 ": got weight %" PRIu64
			     ", the formula gives %" PRIu64,
			     shares, got, want);
	}
	is_uint(mismatches, 0, "shares 2..262144: every weight equals the formula's");
}

/* The values the formula was chosen for, and the closest call: at 116225, 10^e is 4937.9999978. */
static void test_anchor_values(void)
{
	is_uint(cgroup_shares_to_weight(2), 1, "shares 2 (the v1 minimum) → weight 1");
	is_uint(cgroup_shares_to_weight(1024), 100, "shares 1024 (the v1 default) → weight 100");
	is_uint(cgroup_shares_to_weight(262144), 10000, "shares 262144 (the v1 maximum) → 10000");
	is_uint(cgroup_shares_to_weight(1023), 100, "shares 1023 → weight 100");
	is_uint(cgroup_shares_to_weight(1025), 101, "shares 1025 → weight 101");
	is_uint(cgroup_shares_to_weight(116225), 4938, "shares 116225 → weight 4938");
}

static void test_out_of_range_values_are_clamped(void)
{
	is_uint(cgroup_shares_to_weight(0), 0, "shares 0 (unset) → 0, nothing written");
	is_uint(cgroup_shares_to_weight(1), 1, "shares 1 → weight 1");
	is_uint(cgroup_shares_to_weight(262145), 10000, "shares 262145 → weight 10000");
	is_uint(cgroup_shares_to_weight(UINT64_MAX), 10000, "shares 2^64-1 → weight 10000");
}

int main(void)
{
	test_every_valid_shares_value_matches_the_formula();
	test_anchor_values();
	test_out_of_range_values_are_clamped();
	return done();
}
