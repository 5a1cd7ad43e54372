// Why C: Swift compiles for the x86-64 baseline, so its vectorised tanh runs 4 floats wide even
// on AVX-512 hardware, and it has no per-function target attributes. Here one body, written on
// 16-float generic vectors, is compiled three times (baseline, AVX2, AVX-512F) and the widest
// the CPU supports is picked at start-up.
//
// The arithmetic mirrors Plugins/PluginKit/Math/FastMath.swift operation for operation; keep the
// two in step (VectorMathTests compares them bit for bit on every width this CPU has).
#include "CVectorMath.h"

#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint32_t vu __attribute__((vector_size(64)));
enum { lanes = 16 };

#define SPLAT(x) ((vf){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})
#define ISPLAT(x) ((vi){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})
#define USPLAT(x) ((vu){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x})

// The lane functions are macros (GNU statement expressions), not functions: a 64-byte vector
// argument would have a different ABI in each target's clone, which clang refuses.

// mask ? a : b, lane by lane (a comparison gives all ones or zero per lane).
#define SELECT(mask, a, b) ((vf)(((mask) & (vi)(a)) | (~(mask) & (vi)(b))))
// Swift's min(x, y) = y < x ? y : x and max(x, y) = y >= x ? y : x (NaN in x propagates).
#define MIN_LANES(x, y) ({ vf x_ = (x), y_ = (y); SELECT(y_ < x_, y_, x_); })
#define MAX_LANES(x, y) ({ vf x_ = (x), y_ = (y); SELECT(y_ >= x_, y_, x_); })

#define EXP_LANES(input)                                                                           \
    ({                                                                                             \
        vf x = (input);                                                                            \
        const vf magic = SPLAT(12582912.0f);                                                       \
        vf t = x * SPLAT(1.44269504f) + magic;                                                     \
        vf n = t - magic;                                                                          \
        vf r = x - n * SPLAT(0.693359375f);                                                        \
        r = r - n * SPLAT(-2.12194440e-4f);                                                        \
        vf r2 = r * r;                                                                             \
        vf p = SPLAT(1.9875691500e-4f);                                                            \
        p = p * r + SPLAT(1.3981999507e-3f);                                                       \
        p = p * r + SPLAT(8.3334519073e-3f);                                                       \
        p = p * r + SPLAT(4.1665795894e-2f);                                                       \
        p = p * r + SPLAT(1.6666665459e-1f);                                                       \
        p = p * r + SPLAT(5.0000001201e-1f);                                                       \
        vf er = p * r2 + r + SPLAT(1.0f);                                                          \
        /* 2^n in the exponent field; unsigned, so wrapping as Swift's &- &+ &<<. */               \
        vu e = ((vu)t - (vu)magic + USPLAT(127u)) << 23;                                           \
        er * (vf)e;                                                                                \
    })

#define TANH_LANES(input)                                                                          \
    ({                                                                                             \
        vf v = (input);                                                                            \
        const vi sign = ISPLAT((int32_t)0x80000000);                                               \
        vf a = (vf)((vi)v & ~sign);                                                                \
        vf s = a * a;                                                                              \
        vf q = SPLAT(-5.70498872745e-3f);                                                          \
        q = q * s + SPLAT(2.06390887954e-2f);                                                      \
        q = q * s - SPLAT(5.37397155531e-2f);                                                      \
        q = q * s + SPLAT(1.33314422036e-1f);                                                      \
        q = q * s - SPLAT(3.33332819422e-1f);                                                      \
        vf small = a + a * (q * s);                                                                \
        vf big = EXP_LANES(MIN_LANES(a + a, SPLAT(20.0f)));                                        \
        vf large = SPLAT(1.0f) - SPLAT(2.0f) / (big + SPLAT(1.0f));                                \
        vf magnitude = SELECT(a < SPLAT(0.625f), small, large);                                    \
        (vf)(((vi)magnitude & ~sign) | ((vi)v & sign));                                            \
    })

#define SIGMOID_LANES(input)                                                                       \
    ({                                                                                             \
        vf big = EXP_LANES(MIN_LANES(MAX_LANES(-(input), SPLAT(-87.0f)), SPLAT(88.0f)));           \
        SPLAT(1.0f) / (SPLAT(1.0f) + big);                                                         \
    })

// The loop over whole vectors, then the tail through a padded vector (the pad lanes' results are dropped).
#define ELEMENTWISE(NAME, LANES_FN, TARGET)                                                        \
    TARGET static void NAME(float *values, size_t count) {                                         \
        size_t i = 0;                                                                              \
        for (; i + lanes <= count; i += lanes) {                                                   \
            vf chunk;                                                                              \
            memcpy(&chunk, values + i, sizeof chunk);                                              \
            chunk = LANES_FN(chunk);                                                               \
            memcpy(values + i, &chunk, sizeof chunk);                                              \
        }                                                                                          \
        if (i < count) {                                                                           \
            vf chunk = SPLAT(0.0f);                                                                \
            memcpy(&chunk, values + i, (count - i) * sizeof(float));                               \
            chunk = LANES_FN(chunk);                                                               \
            memcpy(values + i, &chunk, (count - i) * sizeof(float));                               \
        }                                                                                          \
    }

#define BASELINE
#define AVX2 __attribute__((target("avx2")))
#define AVX512 __attribute__((target("avx512f")))

ELEMENTWISE(tanh_baseline, TANH_LANES, BASELINE)
ELEMENTWISE(tanh_avx2, TANH_LANES, AVX2)
ELEMENTWISE(tanh_avx512, TANH_LANES, AVX512)
ELEMENTWISE(exp_baseline, EXP_LANES, BASELINE)
ELEMENTWISE(exp_avx2, EXP_LANES, AVX2)
ELEMENTWISE(exp_avx512, EXP_LANES, AVX512)
ELEMENTWISE(sigmoid_baseline, SIGMOID_LANES, BASELINE)
ELEMENTWISE(sigmoid_avx2, SIGMOID_LANES, AVX2)
ELEMENTWISE(sigmoid_avx512, SIGMOID_LANES, AVX512)

// Finiteness: a lane is bad when its exponent bits are all ones; the bad lanes are OR-ed up
// and looked at once, at the end, so the loop has no branch.
#define EXPONENT ISPLAT(0x7F800000)
#define FINITE_CHECKS(NAME_ALL, NAME_COPY, TARGET)                                                 \
    TARGET static int NAME_ALL(const float *values, size_t count) {                                \
        vi bad = ISPLAT(0);                                                                        \
        size_t i = 0;                                                                              \
        for (; i + lanes <= count; i += lanes) {                                                   \
            vi chunk;                                                                              \
            memcpy(&chunk, values + i, sizeof chunk);                                              \
            bad |= (chunk & EXPONENT) == EXPONENT;                                                 \
        }                                                                                          \
        int tail_bad = 0;                                                                          \
        for (; i < count; i++) {                                                                   \
            uint32_t bits;                                                                         \
            memcpy(&bits, values + i, sizeof bits);                                                \
            tail_bad |= (bits & 0x7F800000u) == 0x7F800000u;                                       \
        }                                                                                          \
        for (int lane = 0; lane < lanes; lane++) tail_bad |= bad[lane] != 0;                       \
        return !tail_bad;                                                                          \
    }                                                                                              \
    TARGET static int NAME_COPY(float *destination, const void *source, size_t count) {            \
        const char *from = (const char *)source;                                                   \
        vi bad = ISPLAT(0);                                                                        \
        size_t i = 0;                                                                              \
        for (; i + lanes <= count; i += lanes) {                                                   \
            vi chunk;                                                                              \
            memcpy(&chunk, from + i * sizeof(float), sizeof chunk);                                \
            memcpy(destination + i, &chunk, sizeof chunk);                                         \
            bad |= (chunk & EXPONENT) == EXPONENT;                                                 \
        }                                                                                          \
        int tail_bad = 0;                                                                          \
        for (; i < count; i++) {                                                                   \
            uint32_t bits;                                                                         \
            memcpy(&bits, from + i * sizeof(float), sizeof bits);                                  \
            memcpy(destination + i, &bits, sizeof bits);                                           \
            tail_bad |= (bits & 0x7F800000u) == 0x7F800000u;                                       \
        }                                                                                          \
        for (int lane = 0; lane < lanes; lane++) tail_bad |= bad[lane] != 0;                       \
        return !tail_bad;                                                                          \
    }

FINITE_CHECKS(all_finite_baseline, copy_finite_baseline, BASELINE)
FINITE_CHECKS(all_finite_avx2, copy_finite_avx2, AVX2)
FINITE_CHECKS(all_finite_avx512, copy_finite_avx512, AVX512)

typedef void (*kernel)(float *, size_t);
static const kernel tanh_kernels[] = {tanh_baseline, tanh_avx2, tanh_avx512};
static const kernel sigmoid_kernels[] = {sigmoid_baseline, sigmoid_avx2, sigmoid_avx512};
static const kernel exp_kernels[] = {exp_baseline, exp_avx2, exp_avx512};

static int supported_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}

// -1 until first use. Atomic (relaxed) because tests may switch it while another thread computes;
// every value it holds is a correct choice.
static int level = -1;

int fe_vector_math_level(void) {
    int current = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (current < 0) {
        current = supported_level();
        __atomic_store_n(&level, current, __ATOMIC_RELAXED);
    }
    return current;
}

int fe_vector_math_use(int wanted) {
    if (wanted < 0 || wanted > supported_level()) return 0;
    __atomic_store_n(&level, wanted, __ATOMIC_RELAXED);
    return 1;
}

void fe_tanh_f32(float *values, size_t count) { tanh_kernels[fe_vector_math_level()](values, count); }

void fe_sigmoid_f32(float *values, size_t count) { sigmoid_kernels[fe_vector_math_level()](values, count); }

void fe_exp_f32(float *values, size_t count) { exp_kernels[fe_vector_math_level()](values, count); }

typedef int (*check)(const float *, size_t);
typedef int (*copy_check)(float *, const void *, size_t);
static const check all_finite_kernels[] = {all_finite_baseline, all_finite_avx2, all_finite_avx512};
static const copy_check copy_finite_kernels[] = {copy_finite_baseline, copy_finite_avx2, copy_finite_avx512};

int fe_all_finite_f32(const float *values, size_t count) {
    return all_finite_kernels[fe_vector_math_level()](values, count);
}

int fe_copy_finite_f32(float *destination, const void *source, size_t count) {
    return copy_finite_kernels[fe_vector_math_level()](destination, source, count);
}
