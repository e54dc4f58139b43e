#ifndef FORKSCOPE_CKERNELS_LAYOUT_H
#define FORKSCOPE_CKERNELS_LAYOUT_H

/// UMAP's repulsive steps (umap-learn's optimize_layout_euclidean) for one point at (x, y) away
/// from `count` negative samples at (qx[i], qy[i]): per sample, with d² = ‖p − q‖²,
///     c = g / ((0.001 + d²)(a·d^{2b} + 1)),   step = (clip(c·(x − qx)), clip(c·(y − qy))),
/// clip to ±4 and no step where d² = 0; the steps are added to out[0], out[1] in sample order.
/// `g` is 2·γ·b (γ the repulsion strength). d^{2b} = 2^(b·log2 d²) by fixed polynomials with fused
/// multiply-adds (Layout.c); every version (AVX2 with FMA, portable with fmaf) gives the same bits.
void fs_layout_repulsion(float x, float y, const float *qx, const float *qy, int count, float a, float b, float g, float *out);

/// The portable version alone, for tests that hold the fast one to it.
void fs_layout_repulsion_portable(float x, float y, const float *qx, const float *qy, int count, float a, float b, float g,
                                  float *out);

/// x^y for x > 0 as the kernels compute it (x below the smallest normal float is taken as that;
/// 2^(y·log2 x) is clamped to [2⁻¹²⁶, 2¹²⁸)), for tests.
float fs_layout_power(float x, float y);

#endif
