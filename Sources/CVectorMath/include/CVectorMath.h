#ifndef FE_CVECTORMATH_H
#define FE_CVECTORMATH_H

#include <stddef.h>

/// Float kernels of the hot path at the widest vector width this CPU has (AVX-512, AVX2 or the
/// x86-64 baseline), chosen once at run time: element-wise tanh, sigmoid and exp in place, and the
/// finiteness checks every tensor crossing the process boundary gets.
///
/// Each computes exactly PluginKit's `FastMath` (the same Cephes operations in the same order,
/// never contracted into FMAs), so results are bit-identical whichever width runs: only speed
/// depends on the CPU.
void fe_tanh_f32(float *values, size_t count);
void fe_sigmoid_f32(float *values, size_t count);
/// e^x in place, for x in [-87, 88] (callers clamp, as for FastMath.exp).
void fe_exp_f32(float *values, size_t count);

/// Whether no value is NaN or infinite (an exponent of all ones).
int fe_all_finite_f32(const float *values, size_t count);
/// Copies `count` floats from `source` (any 4-byte alignment) to `destination` and says whether
/// all were finite, in one pass. The check is of the values copied, so a peer still writing
/// `source` (shared memory) cannot pass one set of values and leave another.
int fe_copy_finite_f32(float *destination, const void *source, size_t count);

/// The widths: 0 the baseline, 1 AVX2, 2 AVX-512F. `fe_vector_math_level` is the one in use.
int fe_vector_math_level(void);
/// Uses `level` from now on if this CPU has it (returns whether it did): for tests, which check
/// every width the machine has against the scalar code.
int fe_vector_math_use(int level);

#endif
