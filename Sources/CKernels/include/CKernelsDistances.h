#ifndef FORKSCOPE_CKERNELS_DISTANCES_H
#define FORKSCOPE_CKERNELS_DISTANCES_H

#include <stddef.h>

/// Exact squared Euclidean distances and dot products in double, from `a` (d values) to each of
/// `count` rows `base + rows[r] * d`, into out[r]. Each sum runs in one fixed order: four
/// interleaved partial sums over columns c ≡ 0, 1, 2, 3 (mod 4), the last d mod 4 terms added to the
/// first, then (s0 + s1) + (s2 + s3); no fused multiply-add. So every version (AVX2, portable)
/// gives the same bits. Rows are taken four at a time: independent chains of additions and four
/// memory streams at once.
void fs_squared_distances(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out);
void fs_dot_products(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out);

/// The portable versions alone, for tests that hold the fast ones to them.
void fs_squared_distances_portable(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out);
void fs_dot_products_portable(const double *a, const double *base, const long *rows, size_t count, size_t d, double *out);

#endif
