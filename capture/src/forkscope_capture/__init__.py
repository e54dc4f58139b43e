"""forkscope-capture: write Forkscope activation runs (format ``forkscope.run/1``).

- :class:`RunWriter` (NumPy only) writes a run folder from arrays you already have;
- :func:`capture` samples prompts -> continuations -> forks with any :class:`Backend` and
  records every branch's hidden states;
- backends: :class:`forkscope_capture.hf.HFBackend` (transformers) and
  :class:`forkscope_capture.lens.LensBackend` (TransformerLens), imported on demand so
  that the writer works without torch.
"""

from .safetensors_io import read_safetensors, write_safetensors
from .tree import Backend, CaptureInputError, CaptureWarning, ZeroPEUnsupported, capture, replay
from .writer import FORMAT, RunWriter, WriteResult, read_run

__version__ = "0.1.0"

__all__ = [
    "FORMAT",
    "Backend",
    "CaptureInputError",
    "CaptureWarning",
    "RunWriter",
    "WriteResult",
    "ZeroPEUnsupported",
    "capture",
    "read_run",
    "read_safetensors",
    "replay",
    "write_safetensors",
]
# HFBackend and LensBackend are importable from here too (loaded on first use, with torch),
# but are left out of __all__ so that a star import stays light.


def __getattr__(name: str):
    if name == "HFBackend":
        from .hf import HFBackend

        return HFBackend
    if name == "LensBackend":
        from .lens import LensBackend

        return LensBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
