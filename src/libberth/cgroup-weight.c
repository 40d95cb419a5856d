/*
 * The cpu.shares → cpu.weight conversion of runc ≥ 1.3.2 and crun ≥ 1.23, in integers:
 *     weight = ceil(10^e),  e = (l² + 125·l)/612 − 7/34,  l = log2(shares)
 * which maps 2 → 1, 1024 (the v1 default) → 100 (the v2 default) and 262144 → 10000.
 * Integers so that berth does not load libm for one formula: every shared object costs every
 * invocation its mapping and relocation. The logarithms are fixed point with 40 fractional
 * bits and rounded in known directions (see cgroup_shares_to_weight), which gives exactly the
 * floating-point formula's result for every shares value; tests/unit/test-cgroup-weight.c
 * checks all of them against it.
 * This file must never do I/O or allocate: it is arithmetic, unit-tested alone.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>

#include "cgroup-internal.h"

/* Fractional bits of the fixed-point logarithms below: a unit is 2^-40. */
#define FRAC 40

/* floor(a·b / 2^k) for 0 < k < 64 and a result below 2^64. The 128-bit product is built from
 * 32-bit halves, as 32-bit targets have no 128-bit integer type. */
static uint64_t mul_shift(uint64_t a, uint64_t b, unsigned k)
{
	uint64_t a_hi = a >> 32, a_lo = a & UINT32_MAX, b_hi = b >> 32, b_lo = b & UINT32_MAX;
	uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi;
	uint64_t mid = (lo_lo >> 32) + (hi_lo & UINT32_MAX) + (lo_hi & UINT32_MAX);
	uint64_t hi = a_hi * b_hi + (hi_lo >> 32) + (lo_hi >> 32) + (mid >> 32);
	uint64_t lo = (mid << 32) | (lo_lo & UINT32_MAX);

	return (hi << (64 - k)) | (lo >> k);
}

/* The integer part of log2(v) for 0 < v < 2^62, and in *x the mantissa v / 2^n in [1, 2)
 * with 62 fractional bits. */
static unsigned split_log2(uint64_t v, uint64_t *x)
{
	unsigned n = 63 - (unsigned)__builtin_clzll(v);

	*x = v << (62 - n);
	return n;
}

/* The next bit of the logarithm of the mantissa *x: squaring doubles the logarithm, whose
 * integer part (0 or 1) is the bit. The square is truncated, which can only lower what the
 * following bits say: a logarithm built from these bits is never above the exact value and
 * less than one unit plus 2^-61 below it. */
static unsigned next_log2_bit(uint64_t *x)
{
	*x = mul_shift(*x, *x, 62);
	if (*x >> 63) {
		*x >>= 1;
		return 1;
	}
	return 0;
}

/* log2(v) in units of 2^-FRAC, rounded down (see next_log2_bit), for 0 < v < 2^62. */
static uint64_t log2_fixed(uint64_t v)
{
	uint64_t x, result = (uint64_t)split_log2(v, &x) << FRAC;

	for (int bit = FRAC - 1; bit >= 0; bit--)
		result |= (uint64_t)next_log2_bit(&x) << bit;
	return result;
}

/* Whether log2_fixed(v) >= t, computing log2(v) only up to its first bit that differs from
 * t's: most candidates of a search already differ in the integer part. */
static bool log2_fixed_at_least(uint64_t v, uint64_t t)
{
	uint64_t x;
	unsigned n = split_log2(v, &x), bit_value;

	if (n != t >> FRAC)
		return n > t >> FRAC;
	for (int bit = FRAC - 1; bit >= 0; bit--) {
		bit_value = next_log2_bit(&x);
		if (bit_value != ((t >> bit) & 1))
			return bit_value == 1;
	}
	return true;
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	const uint64_t one = (uint64_t)1 << FRAC;
	uint64_t l, lhs, least, low = 1, high = 10000;

	if (shares == 0)
		return 0;
	if (shares <= 2)
		return 1;
	if (shares >= 262144)
		return 10000;
	/*
	 * e = (l − 1)(l + 126)/612, so ceil(10^e) is the smallest w with
	 *     (l − 1)(l + 126)·log2(10) ≤ 612·log2(w).
	 * lhs is a lower bound of the left side (rounded-down logarithms, positive factors,
	 * products rounded down) and 612·(log2_fixed(w) + 2) an upper bound of the right side.
	 * So whenever the exact inequality holds the computed one does too, ties included
	 * (1024: 10^2 = 100 exactly, as ceil() gives). The computed one can hold alone only
	 * when the two sides are within the rounding, under 2^-37 in log2(w), while the closest
	 * any shares value brings 10^e to a whole number is 2^-30.6 (116225: 4937.9999978).
	 * 612·(L + 2) ≥ lhs is L ≥ ceil(lhs / 612) − 2, and lhs / 612 is above 0.4 (2^38 units)
	 * from shares 3 on.
	 */
	l = log2_fixed(shares);
	lhs = mul_shift(mul_shift(l - one, l + 126 * one, FRAC), log2_fixed(10), FRAC);
	least = (lhs + 611) / 612 - 2;
	while (low < high) {
		uint64_t w = low + (high - low) / 2;

		if (log2_fixed_at_least(w, least))
			high = w;
		else
			low = w + 1;
	}
	return low;
}
