// UMAP's repulsive steps, eight negative samples at a time (see CKernelsLayout.h).
//
// The power d^{2b} was about 40% of the layout optimiser's time as a call to libm's powf, one
// sample at a time. Here it is 2^(b·log2 d²):
// - log2 from the exponent bits and, for the mantissa m in [√½, √2), the odd series
//   log2 m = (2/ln 2)(t + t³/3 + t⁵/5 + t⁷/7 + t⁹/9), t = (m − 1)/(m + 1), |t| ≤ 0.172
//   (Abramowitz & Stegun 4.1.27; the first dropped term is below 1.1e-9);
// - 2^z as 2^round(z), from exponent bits, times 2^f, f = z − round(z) in [−½, ½], by its Taylor
//   series Σ (f ln 2)^k / k! to k = 7 (first dropped term below 6e-9).
// The relative error is a few parts in 10⁷ (LayoutTests), well inside what the stochastic
// descent tolerates. Every multiply-add of the polynomials is one fused operation (fmaf in the
// portable version, VFMADD in the AVX2 one) and nothing else is contracted, so both versions
// give the same bits.
#pragma clang fp contract(off)

#include "CKernelsLayout.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "CPU.h"

// 2/((2i+1) ln 2) for the log2 series, and (ln 2)^k/k! for 2^f.
static const float L1 = 2.8853900817779268f, L3 = 0.96179669392597560f, L5 = 0.57707801635558536f,
                   L7 = 0.41219858311113240f, L9 = 0.32059889797532520f;
static const float E0 = 1.0f, E1 = 0.69314718055994531f, E2 = 0.24022650695910071f, E3 = 0.055504108664821580f,
                   E4 = 0.0096181291076284772f, E5 = 0.0013333558146428443f, E6 = 0.00015403530393381609f,
                   E7 = 1.5252733804059841e-05f;
static const float SQRT2 = 1.41421356f;

// MARK: portable

static inline float bits_to_float(uint32_t b) { float f; memcpy(&f, &b, sizeof f); return f; }
static inline uint32_t float_to_bits(float f) { uint32_t b; memcpy(&b, &f, sizeof b); return b; }

static float power_portable(float x, float y) {
    x = x < FLT_MIN ? FLT_MIN : x;
    uint32_t bits = float_to_bits(x);
    int32_t e = (int32_t)((bits >> 23) & 0xff) - 127;
    float m = bits_to_float((bits & 0x7fffff) | 0x3f800000);
    if (m > SQRT2) { m = m * 0.5f; e += 1; }
    float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    float p = fmaf(t2, L9, L7);
    p = fmaf(t2, p, L5); p = fmaf(t2, p, L3); p = fmaf(t2, p, L1);
    float z = y * fmaf(t, p, (float)e);
    z = z < -126.0f ? -126.0f : (z > 127.0f ? 127.0f : z);
    float n = rintf(z), f = z - n;
    float q = fmaf(f, E7, E6);
    q = fmaf(f, q, E5); q = fmaf(f, q, E4); q = fmaf(f, q, E3); q = fmaf(f, q, E2); q = fmaf(f, q, E1); q = fmaf(f, q, E0);
    return q * bits_to_float((uint32_t)((int32_t)n + 127) << 23);
}

static inline float clip(float v) { return fminf(4.0f, fmaxf(-4.0f, v)); }

void fs_layout_repulsion_portable(float x, float y, const float *qx, const float *qy, int count, float a, float b, float g,
                                  float *out) {
    float rx = out[0], ry = out[1];
    for (int i = 0; i < count; i++) {
        float ox = x - qx[i], oy = y - qy[i];
        float d2 = ox * ox + oy * oy;
        float sx = 0, sy = 0;
        if (d2 > 0) {
            float c = g / ((0.001f + d2) * (a * power_portable(d2, b) + 1.0f));
            sx = clip(c * ox); sy = clip(c * oy);
        }
        rx += sx; ry += sy;
    }
    out[0] = rx; out[1] = ry;
}

float fs_layout_power(float x, float y) { return power_portable(x, y); }

// MARK: AVX2 with FMA: eight samples in the lanes, the same operations

#ifdef FS_X86
#define AVX2_FMA __attribute__((target("avx2,fma")))

AVX2_FMA static inline __m256 power_avx2(__m256 x, __m256 y) {
    x = _mm256_max_ps(x, _mm256_set1_ps(FLT_MIN));
    __m256i bits = _mm256_castps_si256(x);
    __m256i e = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(0xff)), _mm256_set1_epi32(127));
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x7fffff)),
                                                   _mm256_set1_epi32(0x3f800000)));
    __m256 high = _mm256_cmp_ps(m, _mm256_set1_ps(SQRT2), _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, _mm256_mul_ps(m, _mm256_set1_ps(0.5f)), high);
    e = _mm256_sub_epi32(e, _mm256_castps_si256(high));   // a true lane is −1
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one)), t2 = _mm256_mul_ps(t, t);
    __m256 p = _mm256_fmadd_ps(t2, _mm256_set1_ps(L9), _mm256_set1_ps(L7));
    p = _mm256_fmadd_ps(t2, p, _mm256_set1_ps(L5));
    p = _mm256_fmadd_ps(t2, p, _mm256_set1_ps(L3));
    p = _mm256_fmadd_ps(t2, p, _mm256_set1_ps(L1));
    __m256 z = _mm256_mul_ps(y, _mm256_fmadd_ps(t, p, _mm256_cvtepi32_ps(e)));
    z = _mm256_min_ps(_mm256_max_ps(z, _mm256_set1_ps(-126.0f)), _mm256_set1_ps(127.0f));
    __m256 n = _mm256_round_ps(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), f = _mm256_sub_ps(z, n);
    __m256 q = _mm256_fmadd_ps(f, _mm256_set1_ps(E7), _mm256_set1_ps(E6));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E5));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E4));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E3));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E2));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E1));
    q = _mm256_fmadd_ps(f, q, _mm256_set1_ps(E0));
    __m256i scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(q, _mm256_castsi256_ps(scale));
}

AVX2_FMA static void repulsion_avx2(float x, float y, const float *qx, const float *qy, int count, float a, float b, float g,
                                   float *out) {
    float rx = out[0], ry = out[1];
    float sx[8], sy[8];
    for (int at = 0; at < count; at += 8) {
        int lanes = count - at < 8 ? count - at : 8;
        float px[8] = {0}, py[8] = {0};
        for (int l = 0; l < lanes; l++) { px[l] = qx[at + l]; py[l] = qy[at + l]; }
        __m256 ox = _mm256_sub_ps(_mm256_set1_ps(x), _mm256_loadu_ps(px));
        __m256 oy = _mm256_sub_ps(_mm256_set1_ps(y), _mm256_loadu_ps(py));
        __m256 d2 = _mm256_add_ps(_mm256_mul_ps(ox, ox), _mm256_mul_ps(oy, oy));
        __m256 pw = power_avx2(d2, _mm256_set1_ps(b));
        __m256 den = _mm256_mul_ps(_mm256_add_ps(_mm256_set1_ps(0.001f), d2),
                                   _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(a), pw), _mm256_set1_ps(1.0f)));
        __m256 c = _mm256_div_ps(_mm256_set1_ps(g), den);
        __m256 lo = _mm256_set1_ps(-4.0f), hi = _mm256_set1_ps(4.0f);
        __m256 moving = _mm256_cmp_ps(d2, _mm256_setzero_ps(), _CMP_GT_OQ);
        _mm256_storeu_ps(sx, _mm256_and_ps(moving, _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_mul_ps(c, ox)))));
        _mm256_storeu_ps(sy, _mm256_and_ps(moving, _mm256_min_ps(hi, _mm256_max_ps(lo, _mm256_mul_ps(c, oy)))));
        for (int l = 0; l < lanes; l++) { rx += sx[l]; ry += sy[l]; }
    }
    out[0] = rx; out[1] = ry;
}
#endif

void fs_layout_repulsion(float x, float y, const float *qx, const float *qy, int count, float a, float b, float g, float *out) {
#ifdef FS_X86
    if (fs_cpu_has_avx2_fma()) { repulsion_avx2(x, y, qx, qy, count, a, b, g, out); return; }
#endif
    fs_layout_repulsion_portable(x, y, qx, qy, count, a, b, g, out);
}
