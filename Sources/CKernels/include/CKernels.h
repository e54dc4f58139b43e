#ifndef FORKSCOPE_CKERNELS_H
#define FORKSCOPE_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "CKernelsDistances.h"
#include "CKernelsLayout.h"
#include "CKernelsRanks.h"

/// Widening conversions of stored tensor elements (little-endian) to double, at memory speed.
/// Each picks, once per process, the fastest version the CPU runs (AVX2 with F16C where present,
/// else portable C) and returns nonzero when any element is NaN or infinite.
/// The results are exact (every binary16, bfloat16 and binary32 value is a double) and the same
/// in every version.
int fs_f16_to_f64(const void *source, double *target, size_t count);
int fs_bf16_to_f64(const void *source, double *target, size_t count);
int fs_f32_to_f64(const void *source, double *target, size_t count);

/// The portable versions alone, for tests that hold the fast ones to them.
int fs_f16_to_f64_portable(const void *source, double *target, size_t count);
int fs_bf16_to_f64_portable(const void *source, double *target, size_t count);
int fs_f32_to_f64_portable(const void *source, double *target, size_t count);

#endif
