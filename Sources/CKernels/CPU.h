// Which instruction sets the running CPU has, asked once per process.
#ifndef FORKSCOPE_CKERNELS_CPU_H
#define FORKSCOPE_CKERNELS_CPU_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define FS_X86 1
#include <immintrin.h>

/// AVX2 (and F16C, which every AVX2 CPU has but is asked for too).
int fs_cpu_has_avx2(void);

/// AVX2 and fused multiply-add.
int fs_cpu_has_avx2_fma(void);
#endif

#endif
