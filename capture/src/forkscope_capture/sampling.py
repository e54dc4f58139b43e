"""Backend-independent sampling primitives (NumPy only).

Every backend turns its next-token logits into a NumPy row and calls :func:`choose_token`
with the capture's ``numpy.random.Generator``, so a fixed seed gives the same choices
whatever the backend, and the same logits always give the same token.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence

import numpy as np

__all__ = ["Continuations", "choose_token", "next_token_probs", "truncate_after_eos", "log_softmax"]


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(logits, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    z = x - m
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def next_token_probs(logits: Sequence[float], temperature: float, top_p: float) -> np.ndarray:
    """The sampling distribution over the vocabulary (float64, sums to 1).

    temperature <= 0 means greedy (all mass on the first maximum). top_p < 1 keeps the
    smallest set of most likely tokens whose mass reaches top_p (nucleus sampling; the
    most likely token is always kept; ties are ordered by token id).
    """
    x = np.asarray(logits, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError("empty logits")
    if np.isnan(x).any():
        raise ValueError("logits contain NaN")
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {top_p}")
    if temperature <= 0:
        p = np.zeros_like(x)
        p[int(np.argmax(x))] = 1.0
        return p
    z = x / float(temperature)
    z = z - np.max(z)
    p = np.exp(z)
    p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        sorted_p = p[order]
        before = np.cumsum(sorted_p) - sorted_p  # mass of the tokens ranked above each one
        keep_sorted = before < top_p
        keep_sorted[0] = True
        mask = np.zeros(p.shape, dtype=bool)
        mask[order[keep_sorted]] = True
        p = np.where(mask, p, 0.0)
        p /= p.sum()
    return p


def choose_token(logits: Sequence[float], temperature: float, top_p: float, rng: np.random.Generator) -> int:
    """Sample one token id from next-token logits with the given generator.

    Draws exactly one uniform number from ``rng`` per call (also when greedy), so the
    generator's state after a capture does not depend on the logits.
    """
    p = next_token_probs(logits, temperature, top_p)
    u = float(rng.random())
    cdf = np.cumsum(p)
    idx = int(np.searchsorted(cdf, u * cdf[-1], side="right"))
    idx = min(idx, p.size - 1)
    # never return a token with zero probability (possible only through rounding at the edges)
    while p[idx] == 0.0 and idx > 0:
        idx -= 1
    while p[idx] == 0.0 and idx < p.size - 1:
        idx += 1
    return idx


def truncate_after_eos(ids: Iterable[int], eos_ids: Optional[Iterable[int]]) -> List[int]:
    """The ids up to and including the first end-of-sequence id."""
    stop = set(int(e) for e in (eos_ids or ()))
    out: List[int] = []
    for t in ids:
        out.append(int(t))
        if int(t) in stop:
            break
    return out


class Continuations:
    """``n`` continuations sampled side by side, one token per step, each ending at its first
    end-of-sequence id: what every backend's batched sampler keeps between forward passes."""

    def __init__(self, n: int, eos_ids: Iterable[int]) -> None:
        self.seqs: List[List[int]] = [[] for _ in range(n)]
        self.done = [False] * n
        self.eos = set(int(e) for e in eos_ids)

    def step(self, logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator) -> bool:
        """Appends to each unfinished continuation a token chosen from its row of ``logits``
        (``[n, vocab]``, in row order, so the draws from ``rng`` do not depend on the backend).
        Returns whether every continuation has ended."""
        for row, seq in enumerate(self.seqs):
            if self.done[row]:
                continue
            token = choose_token(logits[row], temperature, top_p, rng)
            seq.append(token)
            self.done[row] = token in self.eos
        return all(self.done)

    def last_tokens(self) -> List[List[int]]:
        """Each continuation's latest token, as the next step's one-token inputs (an ended
        continuation repeats its EOS, which is cut off in :meth:`result`)."""
        return [[seq[-1]] for seq in self.seqs]

    def result(self) -> List[List[int]]:
        return [truncate_after_eos(seq, self.eos) for seq in self.seqs]
