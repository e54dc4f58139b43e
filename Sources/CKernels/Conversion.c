// Widening conversions of stored tensor elements to double (see CKernels.h).
//
// Swift builds for baseline x86-64 (SSE2), where half-to-float is a library call per element or a
// chain of integer operations; here the AVX2 + F16C version converts eight elements per
// instruction (VCVTPH2PS, then VCVTPS2PD), chosen at run time by CPU feature, so the binary still
// runs on any x86-64 (and on other architectures through the portable loops).

#include "CKernels.h"
#include <string.h>

#include "CPU.h"

// MARK: portable versions

// IEEE binary16 bits to the float it holds: sign, exponent and mantissa moved into place and the
// value rescaled by 2^112 (the difference of the biases), which also normalises subnormals;
// exponent all ones (infinity, NaN) keeps exponent all ones.
static inline float half_to_float(uint32_t h) {
    uint32_t sign = (h & 0x8000u) << 16, magnitude = (h & 0x7FFFu) << 13, bits;
    if ((h & 0x7C00u) == 0x7C00u) {
        bits = sign | magnitude | 0x7F800000u;
    } else {
        float f;
        memcpy(&f, &magnitude, 4);
        f *= 0x1p112f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float out;
    memcpy(&out, &bits, 4);
    return out;
}

static int f16_portable(const uint8_t *s, double *t, size_t n) {
    uint32_t special = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t h = (uint32_t)s[2 * k] | ((uint32_t)s[2 * k + 1] << 8);
        special |= (h & 0x7C00u) == 0x7C00u;
        t[k] = (double)half_to_float(h);
    }
    return special != 0;
}

static int bf16_portable(const uint8_t *s, double *t, size_t n) {
    uint32_t special = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t bits = ((uint32_t)s[2 * k] | ((uint32_t)s[2 * k + 1] << 8)) << 16;
        special |= (bits & 0x7F800000u) == 0x7F800000u;
        float f;
        memcpy(&f, &bits, 4);
        t[k] = (double)f;
    }
    return special != 0;
}

static int f32_portable(const uint8_t *s, double *t, size_t n) {
    uint32_t special = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t bits = (uint32_t)s[4 * k] | ((uint32_t)s[4 * k + 1] << 8) | ((uint32_t)s[4 * k + 2] << 16) | ((uint32_t)s[4 * k + 3] << 24);
        special |= (bits & 0x7F800000u) == 0x7F800000u;
        float f;
        memcpy(&f, &bits, 4);
        t[k] = (double)f;
    }
    return special != 0;
}

// MARK: AVX2 versions (x86-64 is little-endian, so the stored bytes load as they are)

#ifdef FS_X86
// The output (four times the input's bytes for halves) is written with stores that bypass the
// cache: a layer is far larger than any cache, and they save reading each line before writing it.
// They need 32-byte alignment: the first few elements go through the portable loop.

// Elements before t is 32-byte aligned (at most n).
static inline size_t unaligned_head(const double *t, size_t n) {
    size_t head = ((32 - ((uintptr_t)t & 31)) & 31) / sizeof(double);
    return head < n ? head : n;
}

// Eight floats to eight doubles at t (32-byte aligned).
__attribute__((target("avx2"))) static inline void store_widened(double *t, __m256 f) {
    _mm256_stream_pd(t, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
    _mm256_stream_pd(t + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
}

__attribute__((target("avx2,f16c"))) static int f16_avx2(const uint8_t *s, double *t, size_t n) {
    const __m128i exponent = _mm_set1_epi16(0x7C00);
    __m128i special = _mm_setzero_si128();
    size_t k = unaligned_head(t, n);
    int any = f16_portable(s, t, k);
    for (; k + 8 <= n; k += 8) {
        __m128i h = _mm_loadu_si128((const __m128i *)(s + 2 * k));
        special = _mm_or_si128(special, _mm_cmpeq_epi16(_mm_and_si128(h, exponent), exponent));
        store_widened(t + k, _mm256_cvtph_ps(h));
    }
    _mm_sfence();
    any |= !_mm_testz_si128(special, special);
    return f16_portable(s + 2 * k, t + k, n - k) | any;
}

// bfloat16 (the top halves of floats) and float32 differ only in how the bits load.
__attribute__((target("avx2"))) static int words_avx2(const uint8_t *s, double *t, size_t n, int bf16) {
    const __m256i exponent = _mm256_set1_epi32(0x7F800000);
    __m256i special = _mm256_setzero_si256();
    size_t width = bf16 ? 2 : 4, k = unaligned_head(t, n);
    int any = bf16 ? bf16_portable(s, t, k) : f32_portable(s, t, k);
    for (; k + 8 <= n; k += 8) {
        __m256i bits = bf16 ? _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(s + 2 * k))), 16)
                            : _mm256_loadu_si256((const __m256i *)(s + 4 * k));
        special = _mm256_or_si256(special, _mm256_cmpeq_epi32(_mm256_and_si256(bits, exponent), exponent));
        store_widened(t + k, _mm256_castsi256_ps(bits));
    }
    _mm_sfence();
    any |= !_mm256_testz_si256(special, special);
    return (bf16 ? bf16_portable(s + width * k, t + k, n - k) : f32_portable(s + width * k, t + k, n - k)) | any;
}
#endif

// MARK: entry points

int fs_f16_to_f64(const void *source, double *target, size_t count) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) return f16_avx2(source, target, count);
#endif
    return f16_portable(source, target, count);
}

int fs_bf16_to_f64(const void *source, double *target, size_t count) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) return words_avx2(source, target, count, 1);
#endif
    return bf16_portable(source, target, count);
}

int fs_f32_to_f64(const void *source, double *target, size_t count) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) return words_avx2(source, target, count, 0);
#endif
    return f32_portable(source, target, count);
}

int fs_f16_to_f64_portable(const void *source, double *target, size_t count) { return f16_portable(source, target, count); }
int fs_bf16_to_f64_portable(const void *source, double *target, size_t count) { return bf16_portable(source, target, count); }
int fs_f32_to_f64_portable(const void *source, double *target, size_t count) { return f32_portable(source, target, count); }
