"""Shared test setup: import path, thread count, paths.

Importing this module first makes the tests work both with an installed package and
from a source checkout (it adds ../src to sys.path when forkscope_capture is missing).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")

try:
    import forkscope_capture  # noqa: F401
except ImportError:
    sys.path.insert(0, SRC)
    import forkscope_capture  # noqa: F401

# No "Loading weights" progress bars in the test output (read when transformers is imported).
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# ... nor transformers' GGUF "Converting and de-quantizing" bar (plain tqdm, read at import).
os.environ.setdefault("TQDM_DISABLE", "1")

# Tiny models: one thread is far faster than an OpenMP pool fighting over 2 cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is needed by the model tests only
    torch = None


def subprocess_env():
    """Environment for running the CLI in a subprocess from a source checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["OMP_NUM_THREADS"] = "1"
    env["TOKENIZERS_PARALLELISM"] = "false"
    env.pop("FORKSCOPE_CAPTURE_DEBUG", None)
    return env


PROMPTS = ["the cat sits on the red stone", "a small bird sings in the garden today"]


def by_id(writer):
    return {b.id: b for b in writer.branches}


def full_ids(writer, bid):
    """prefix + own ids of a branch, rebuilt from the token_ids of its ancestors."""
    bs = by_id(writer)
    b = bs[bid]
    own = list(b.extra["token_ids"])
    while b.parent is not None:
        parent = bs[b.parent]
        own = list(parent.extra["token_ids"][: b.fork_at]) + own
        b = parent
    return own


def assert_position_zero_only_in_attention(test, writer):
    """What removing positions that act only inside attention (RoPE, shortformer) must do:
    layer 0 unchanged, the token at position 0 (which attends to itself alone, so q/k
    rotation cannot matter) unchanged at every layer, every later token changed from layer 1."""
    import numpy as np

    for b in writer.branches:
        z, s = b.variants["zero_pe"], b.states
        np.testing.assert_array_equal(z[0], s[0], err_msg=f"{b.id}: layer 0 must not change")
        for t, pos in enumerate(b.positions):
            if pos == 0:
                np.testing.assert_allclose(z[:, t], s[:, t], atol=1e-6, err_msg=f"{b.id}: position 0 must not change")
            else:
                for layer in range(1, z.shape[0]):
                    test.assertGreater(np.abs(z[layer, t] - s[layer, t]).max(), 1e-5,
                                       f"{b.id} token {t} (position {pos}) layer {layer}")
