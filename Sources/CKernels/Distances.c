// Exact distances from one row to many (see CKernelsDistances.h).
#pragma clang fp contract(off)

#include "CKernelsDistances.h"

#include "CPU.h"

// MARK: portable

static double one_row(const double *a, const double *b, size_t d, int squared) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t c = 0;
    for (; c + 4 <= d; c += 4) {
        if (squared) {
            double t0 = a[c] - b[c], t1 = a[c + 1] - b[c + 1], t2 = a[c + 2] - b[c + 2], t3 = a[c + 3] - b[c + 3];
            s0 += t0 * t0; s1 += t1 * t1; s2 += t2 * t2; s3 += t3 * t3;
        } else {
            s0 += a[c] * b[c]; s1 += a[c + 1] * b[c + 1]; s2 += a[c + 2] * b[c + 2]; s3 += a[c + 3] * b[c + 3];
        }
    }
    for (; c < d; c++) {
        double t = squared ? (a[c] - b[c]) * (a[c] - b[c]) : a[c] * b[c];
        s0 += t;
    }
    return (s0 + s1) + (s2 + s3);
}

static void rows_portable(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out, int squared) {
    for (size_t r = 0; r < count; r++) out[r] = one_row(a, base + rows[r] * d, d, squared);
}

// MARK: AVX2: the four partial sums are the four lanes of one vector

#ifdef FS_X86
// Lane j of v plus the tail terms (into lane 0), then (s0 + s1) + (s2 + s3).
static double finish(double lanes[4], const double *a, const double *b, size_t c, size_t d, int squared) {
    for (; c < d; c++) {
        double t = squared ? (a[c] - b[c]) * (a[c] - b[c]) : a[c] * b[c];
        lanes[0] += t;
    }
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

__attribute__((target("avx2"))) static inline __m256d term(__m256d x, __m256d y, int squared) {
    if (squared) { __m256d t = _mm256_sub_pd(x, y); return _mm256_mul_pd(t, t); }
    return _mm256_mul_pd(x, y);
}

__attribute__((target("avx2"))) static void rows_avx2(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out, int squared) {
    size_t r = 0;
    double lanes[4];
    for (; r + 4 <= count; r += 4) {
        const double *b0 = base + rows[r] * d, *b1 = base + rows[r + 1] * d, *b2 = base + rows[r + 2] * d, *b3 = base + rows[r + 3] * d;
        __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        size_t c = 0;
        for (; c + 4 <= d; c += 4) {
            __m256d x = _mm256_loadu_pd(a + c);
            s0 = _mm256_add_pd(s0, term(x, _mm256_loadu_pd(b0 + c), squared));
            s1 = _mm256_add_pd(s1, term(x, _mm256_loadu_pd(b1 + c), squared));
            s2 = _mm256_add_pd(s2, term(x, _mm256_loadu_pd(b2 + c), squared));
            s3 = _mm256_add_pd(s3, term(x, _mm256_loadu_pd(b3 + c), squared));
        }
        _mm256_storeu_pd(lanes, s0); out[r] = finish(lanes, a, b0, c, d, squared);
        _mm256_storeu_pd(lanes, s1); out[r + 1] = finish(lanes, a, b1, c, d, squared);
        _mm256_storeu_pd(lanes, s2); out[r + 2] = finish(lanes, a, b2, c, d, squared);
        _mm256_storeu_pd(lanes, s3); out[r + 3] = finish(lanes, a, b3, c, d, squared);
    }
    for (; r < count; r++) {
        const double *b = base + rows[r] * d;
        __m256d s = _mm256_setzero_pd();
        size_t c = 0;
        for (; c + 4 <= d; c += 4) s = _mm256_add_pd(s, term(_mm256_loadu_pd(a + c), _mm256_loadu_pd(b + c), squared));
        _mm256_storeu_pd(lanes, s);
        out[r] = finish(lanes, a, b, c, d, squared);
    }
}

#endif

void fs_squared_distances(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) { rows_avx2(a, base, rows, count, d, out, 1); return; }
#endif
    rows_portable(a, base, rows, count, d, out, 1);
}

void fs_dot_products(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) { rows_avx2(a, base, rows, count, d, out, 0); return; }
#endif
    rows_portable(a, base, rows, count, d, out, 0);
}

void fs_squared_distances_portable(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out) {
    rows_portable(a, base, rows, count, d, out, 1);
}

void fs_dot_products_portable(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out) {
    rows_portable(a, base, rows, count, d, out, 0);
}
