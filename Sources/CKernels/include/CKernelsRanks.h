#ifndef FORKSCOPE_CKERNELS_RANKS_H
#define FORKSCOPE_CKERNELS_RANKS_H

#include <stddef.h>
#include <stdint.h>

/// One scan over the bit patterns of `n` non-negative doubles (distances; never −0), which order
/// as unsigned integers: returns how many are below `below` (0 when `below` is 0), and writes to
/// `band` (room for n) the indices l with low ≤ bits[l] ≤ low + width, skipping `skip1` and
/// `skip2`, in increasing order; `*band_count` is how many. A rank's window in one pass
/// (NeighbourhoodMeasures), vectorised where the CPU has AVX2; every version gives the same result.
size_t fs_rank_window(const uint64_t *bits, size_t n, uint64_t below, uint64_t low, uint64_t width, long skip1, long skip2,
                      long *band, size_t *band_count);

/// The portable version alone, for tests that hold the fast one to it.
size_t fs_rank_window_portable(const uint64_t *bits, size_t n, uint64_t below, uint64_t low, uint64_t width, long skip1,
                               long skip2, long *band, size_t *band_count);

#endif
