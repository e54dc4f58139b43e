"""Command line: ``python -m forkscope_capture`` / ``forkscope-capture``.

torch, transformers and TransformerLens are imported only once the arguments are valid,
so ``--help`` and argument errors work without them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

__all__ = ["main", "build_parser", "read_prompts", "parse_layers", "UsageError"]


class UsageError(Exception):
    """Bad arguments or input files: exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="forkscope-capture",
        description=(
            "Sample continuations (and forks) of prompts with a language model and write their "
            "hidden states as a Forkscope run (format forkscope.run/1); or, with --replay, record "
            "an existing run's branches (the same token ids, teacher-forced) with another model."
        ),
    )
    p.add_argument("--model", required=True,
                   help="Hugging Face model name, local folder, or a .gguf file (dequantised to float32)")
    p.add_argument("--prompts", default=None,
                   help="text file, one prompt per line (blank lines and lines starting with '#' ignored), "
                        "or a .json file holding a list of strings (required unless --replay)")
    p.add_argument("--replay", default=None, metavar="RUN_DIR",
                   help="record the branches of this run (its token_ids) instead of sampling; "
                        "the sampling options are then ignored")
    p.add_argument("--model-name", default=None, help="model.name in run.json (default: from --model)")
    p.add_argument("--model-version", default=None,
                   help="model.version in run.json (default: a GGUF file's quantisation, else none)")
    p.add_argument("--out", required=True, help="run folder to write")
    p.add_argument("--backend", choices=("hf", "lens"), default="hf",
                   help="hf: transformers (default); lens: TransformerLens")
    p.add_argument("--samples", type=int, default=4, help="continuations per prompt (default 4)")
    p.add_argument("--tokens", type=int, default=48, help="new tokens per continuation (default 48)")
    p.add_argument("--forks", type=int, default=0, help="forks per continuation (default 0)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature, 0 = greedy (default 0.8)")
    p.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling mass (default 1.0 = off)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--dtype", choices=("f16", "bf16", "f32"), default="f16", help="storage dtype (default f16)")
    p.add_argument("--layers", default="all", help="'all' (default) or a comma list such as 0,4,8 (0 = embeddings)")
    p.add_argument("--no-zero-pe", action="store_true", help="do not capture the zero_pe variant")
    p.add_argument("--chat", action="store_true", help="wrap each prompt as a user message of the chat template")
    p.add_argument("--title", default=None, help="run title (default: describes the capture)")
    p.add_argument("--container", choices=("safetensors", "npz"), default="safetensors",
                   help="tensor file format (default safetensors)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing non-empty --out folder")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return p


def read_prompts(path: str) -> List[str]:
    """Prompts from a text file (one per line) or a .json list of strings."""
    fp = Path(path)
    if not fp.is_file():
        raise UsageError(f"prompts file {path} not found")
    try:
        text = fp.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"prompts file {path} is not UTF-8 ({e.reason} at byte {e.start})") from None
    if fp.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise UsageError(f"prompts file {path}: invalid JSON ({e.msg}, line {e.lineno})") from None
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            raise UsageError(f"prompts file {path}: expected a JSON list of strings")
        prompts = [x for x in data if x.strip()]
    else:
        prompts = []
        for line in text.splitlines():
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            prompts.append(s)
    if not prompts:
        raise UsageError(f"prompts file {path} holds no prompts")
    return prompts


def parse_layers(spec: str) -> Optional[List[int]]:
    """None for 'all', else the listed layer indices."""
    spec = spec.strip()
    if spec.lower() == "all":
        return None
    out: List[int] = []
    for part in spec.split(","):
        part = part.strip()
        if not part.isdigit():
            raise UsageError(f"--layers: {part!r} is not a layer index (use 'all' or e.g. 0,4,8)")
        out.append(int(part))
    if len(set(out)) != len(out):
        raise UsageError(f"--layers: duplicate layer in {spec!r}")
    return out


def _check_args(args: argparse.Namespace) -> None:
    if args.prompts is None and args.replay is None:
        raise UsageError("give --prompts FILE (sample a new tree) or --replay RUN_DIR (replay a run's tokens)")
    if args.prompts is not None and args.replay is not None:
        raise UsageError("--prompts and --replay exclude each other (a replay takes its prompts from the run)")
    if args.model.lower().endswith(".gguf"):
        if not os.path.isfile(args.model):
            raise UsageError(f"--model: GGUF file {args.model} not found")
        if args.backend != "hf":
            raise UsageError("--model: a .gguf file is loaded with --backend hf only")
    for flag, value in (("--model-name", args.model_name), ("--model-version", args.model_version)):
        if value is not None and not value.strip():
            raise UsageError(f"{flag} must not be empty")
    if args.samples < 0:
        raise UsageError("--samples must be >= 0")
    if args.tokens < 1:
        raise UsageError("--tokens must be >= 1")
    if args.forks < 0:
        raise UsageError("--forks must be >= 0")
    if args.forks and not args.samples:
        raise UsageError("--forks needs --samples > 0")
    if args.temperature < 0:
        raise UsageError("--temperature must be >= 0")
    if not 0 < args.top_p <= 1:
        raise UsageError("--top-p must be in (0, 1]")
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be >= 1")
    if args.container == "npz" and args.dtype == "bf16":
        raise UsageError("--dtype bf16 cannot be stored in npz (bfloat16 is not a NumPy dtype); use f16 or f32")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UsageError(f"--out {out} exists and is not empty; pass --overwrite to replace it")


def _make_backend(args: argparse.Namespace):
    if not sys.stderr.isatty():
        # transformers' GGUF loader has a plain tqdm bar, which reads this when it is imported
        os.environ.setdefault("TQDM_DISABLE", "1")
    extra = "hf" if args.backend == "hf" else "lens"
    needs = "torch and transformers" if args.backend == "hf" else "torch and transformer-lens"
    try:
        import torch

        if args.backend == "hf":
            import transformers  # noqa: F401

            if args.model.lower().endswith(".gguf"):
                needs = "torch, transformers and gguf"
                extra = "gguf"
                import gguf  # noqa: F401
        else:
            import transformer_lens  # noqa: F401
    except ImportError as e:
        raise RuntimeError(
            f"--backend {args.backend} needs {needs} ({e}); pip install 'forkscope-capture[{extra}]'"
        ) from None

    if args.threads:
        torch.set_num_threads(args.threads)
    if not sys.stderr.isatty():
        # progress bars are noise in logs and captured output; keep them on a terminal
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # pragma: no cover - old transformers
            pass
    if args.backend == "hf":
        from .hf import HFBackend

        return HFBackend.from_pretrained(args.model, device=args.device, model_name=args.model_name,
                                         model_version=args.model_version)
    from .lens import LensBackend, load_lens_model

    model = load_lens_model(args.model, device=args.device)
    name = os.path.basename(args.model.rstrip("/\\")) if os.path.isdir(args.model) else args.model
    return LensBackend(model, model_name=args.model_name or name, model_version=args.model_version)


def run(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    _check_args(args)
    layers = parse_layers(args.layers)

    from .tree import CaptureWarning, capture, load_replay_source, replay

    if args.replay is not None:
        load_replay_source(args.replay)  # structure and ids, before the model is loaded
        prompts: List[str] = []
    else:
        prompts = read_prompts(args.prompts)

    backend = _make_backend(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CaptureWarning)
        if args.replay is not None:
            writer = replay(backend, args.replay, zero_pe=not args.no_zero_pe, layers=layers, title=args.title)
        else:
            writer = capture(
                backend,
                prompts,
                samples=args.samples,
                tokens=args.tokens,
                forks=args.forks,
                temperature=args.temperature,
                top_p=args.top_p,
                seed=args.seed,
                zero_pe=not args.no_zero_pe,
                layers=layers,
                chat=args.chat,
                title=args.title,
            )
    for w in caught:
        if issubclass(w.category, CaptureWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    result = writer.write(args.out, dtype=args.dtype, container=args.container, overwrite=args.overwrite)
    print(result.summary())
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns (and, as a console script, exits with) the status."""
    try:
        return run(argv)
    except SystemExit:
        raise
    except UsageError as e:
        print(f"forkscope-capture: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("forkscope-capture: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # one clear line, not a traceback
        if os.environ.get("FORKSCOPE_CAPTURE_DEBUG"):
            raise
        from .tree import CaptureInputError

        msg = " ".join(str(e).split()) or type(e).__name__
        print(f"forkscope-capture: error: {msg}", file=sys.stderr)
        return 2 if isinstance(e, CaptureInputError) else 1
