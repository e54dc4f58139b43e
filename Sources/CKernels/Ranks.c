// A rank's window in one scan (see CKernelsRanks.h). Non-negative doubles have their sign bit
// clear, so their bit patterns compare as signed 64-bit integers too, and
// low ≤ x ≤ low + width is the one unsigned comparison x − low ≤ width.
#include "CKernelsRanks.h"

#include "CPU.h"

static inline int in_band(uint64_t x, uint64_t low, uint64_t width) { return x - low <= width; }

size_t fs_rank_window_portable(const uint64_t *bits, size_t n, uint64_t below, uint64_t low, uint64_t width, long skip1,
                               long skip2, long *band, size_t *band_count) {
    size_t before = 0, count = 0;
    for (size_t l = 0; l < n; l++) {
        before += bits[l] < below;
        if (in_band(bits[l], low, width) && (long)l != skip1 && (long)l != skip2) band[count++] = (long)l;
    }
    *band_count = count;
    return before;
}

#ifdef FS_X86
__attribute__((target("avx2"))) static size_t window_avx2(const uint64_t *bits, size_t n, uint64_t below, uint64_t low,
                                                         uint64_t width, long skip1, long skip2, long *band, size_t *band_count) {
    // Unsigned x − low ≤ width as a signed comparison: flip the sign bits of both sides.
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000ULL);
    const __m256i vbelow = _mm256_set1_epi64x((long long)below), vlow = _mm256_set1_epi64x((long long)low);
    const __m256i vwidth = _mm256_xor_si256(_mm256_set1_epi64x((long long)width), sign);
    __m256i counts = _mm256_setzero_si256();
    size_t count = 0, l = 0;
    for (; l + 4 <= n; l += 4) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(bits + l));
        counts = _mm256_sub_epi64(counts, _mm256_cmpgt_epi64(vbelow, x));   // a true lane is −1
        __m256i offset = _mm256_xor_si256(_mm256_sub_epi64(x, vlow), sign);
        int outside = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(offset, vwidth)));
        if (outside != 0xf) {
            for (int k = 0; k < 4; k++) {
                long at = (long)(l + k);
                if (!(outside >> k & 1) && at != skip1 && at != skip2) band[count++] = at;
            }
        }
    }
    long long lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, counts);
    size_t before = (size_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
    size_t tail_count = 0;
    before += fs_rank_window_portable(bits + l, n - l, below, low, width, skip1 - (long)l, skip2 - (long)l, band + count, &tail_count);
    for (size_t t = 0; t < tail_count; t++) band[count + t] += (long)l;
    *band_count = count + tail_count;
    return before;
}
#endif

size_t fs_rank_window(const uint64_t *bits, size_t n, uint64_t below, uint64_t low, uint64_t width, long skip1, long skip2,
                      long *band, size_t *band_count) {
#ifdef FS_X86
    if (fs_cpu_has_avx2()) return window_avx2(bits, n, below, low, width, skip1, skip2, band, band_count);
#endif
    return fs_rank_window_portable(bits, n, below, low, width, skip1, skip2, band, band_count);
}
