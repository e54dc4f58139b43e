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
