"""Writing Forkscope activation runs (format ``forkscope.run/1``) with NumPy only.

A run is a folder holding ``run.json`` and one tensor file per variant (the main capture
plus e.g. ``zero_pe``). See ``docs/run-format.md`` in the Forkscope repository.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .safetensors_io import DTYPES, decoded_values, encode_array, read_safetensors, write_safetensors

__all__ = ["FORMAT", "RunWriter", "WriteResult", "read_run", "LoadedRun"]

FORMAT = "forkscope.run/1"

_RESERVED_BRANCH_KEYS = {"id", "label", "parent", "fork_at", "tokens", "positions", "logprobs"}
_F16_MAX = 65504.0
_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean_text(s: str) -> str:
    """Lone surrogates (from odd decoders) become U+FFFD so run.json is valid UTF-8."""
    return _SURROGATES.sub("\ufffd", s)


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


@dataclass
class _Branch:
    id: str
    tokens: List[str]
    positions: List[int]
    states: np.ndarray
    parent: Optional[str]
    fork_at: Optional[int]
    label: Optional[str]
    logprobs: Optional[List[Optional[float]]]
    variants: Dict[str, np.ndarray]
    extra: Dict[str, Any]


@dataclass
class WriteResult:
    """What :meth:`RunWriter.write` produced."""

    path: Path
    files: List[Tuple[str, int]] = field(default_factory=list)  # (file name, bytes)
    n_branches: int = 0
    n_tokens: int = 0
    n_layers: int = 0
    dtype: str = "f16"
    container: str = "safetensors"

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)

    def summary(self) -> str:
        names = ", ".join(name for name, _ in self.files)
        return (
            f"wrote {self.path}: {self.n_branches} branches, {self.n_tokens} tokens, "
            f"{self.n_layers} layers, {len(self.files)} files ({names}), {self.total_bytes} bytes"
        )


class RunWriter:
    """Collects branches and writes a ``forkscope.run/1`` folder.

    >>> w = RunWriter("demo", "my-model", layers=[0, 1], hidden_size=4)
    >>> w.add_branch("p0", ["a", "b"], [0, 1], np.zeros((2, 2, 4)))
    >>> w.write("runs/demo")  # doctest: +SKIP

    Every argument is checked when it is given; errors are ``ValueError`` naming the branch
    and the field.
    """

    def __init__(
        self,
        title: str,
        model_name: str,
        model_version: Optional[str] = None,
        positional_encoding: Optional[str] = None,
        layers: Sequence[int] = (),
        hidden_size: Optional[int] = None,
    ) -> None:
        if not isinstance(title, str):
            raise ValueError(f"title must be a string, got {type(title).__name__}")
        if not isinstance(model_name, str) or not model_name:
            raise ValueError("model_name must be a non-empty string")
        if model_version is not None and not isinstance(model_version, str):
            raise ValueError("model_version must be a string or None")
        if positional_encoding is not None and not isinstance(positional_encoding, str):
            raise ValueError("positional_encoding must be a string (e.g. 'rope', 'learned') or None")
        layers = list(layers)
        if not layers:
            raise ValueError("layers must be a non-empty list of layer indices")
        for x in layers:
            if not _is_int(x) or int(x) < 0:
                raise ValueError(f"layers must hold non-negative integers, got {x!r}")
        layers = [int(x) for x in layers]
        if len(set(layers)) != len(layers):
            raise ValueError(f"layers must be distinct, got {layers}")
        if not _is_int(hidden_size) or int(hidden_size) <= 0:
            raise ValueError(f"hidden_size must be a positive integer, got {hidden_size!r}")
        self.title = _clean_text(title)
        self.model_name = model_name
        self.model_version = model_version
        self.positional_encoding = positional_encoding
        self.layers = layers
        self.hidden_size = int(hidden_size)
        self._branches: List[_Branch] = []
        self._by_id: Dict[str, _Branch] = {}
        self._variant_names: Optional[Tuple[str, ...]] = None

    # -- building ---------------------------------------------------------------------

    @property
    def branches(self) -> List[_Branch]:
        return list(self._branches)

    @property
    def variant_names(self) -> Tuple[str, ...]:
        return self._variant_names or ()

    def __len__(self) -> int:
        return len(self._branches)

    def _check_states(self, bid: str, what: str, states: Any, n_tokens: int) -> np.ndarray:
        try:
            arr = np.asarray(states)
        except Exception as e:  # pragma: no cover - exotic inputs
            raise ValueError(f"branch {bid!r}: {what} cannot be read as an array ({e})") from None
        if arr.dtype.kind not in "fiu":
            raise ValueError(f"branch {bid!r}: {what} must be a float array, got dtype {arr.dtype}")
        expected = (len(self.layers), n_tokens, self.hidden_size)
        if arr.shape != expected:
            raise ValueError(
                f"branch {bid!r}: {what} has shape {list(arr.shape)}, expected "
                f"[len(layers)={expected[0]}, len(tokens)={expected[1]}, hidden_size={expected[2]}]"
            )
        arr = np.array(arr, dtype=np.float32, copy=True)
        bad = ~np.isfinite(arr)
        if bad.any():
            li, ti, di = (int(v) for v in np.argwhere(bad)[0])
            raise ValueError(
                f"branch {bid!r}: {what} holds a non-finite value ({arr[li, ti, di]}) at layer "
                f"{self.layers[li]} (index {li}), token {ti}, dimension {di}"
            )
        return arr

    def add_branch(
        self,
        id: str,
        tokens: Sequence[str],
        positions: Sequence[int],
        states: Any,
        parent: Optional[str] = None,
        fork_at: Optional[int] = None,
        label: Optional[str] = None,
        logprobs: Optional[Sequence[Optional[float]]] = None,
        variants: Optional[Mapping[str, Any]] = None,
        **extra: Any,
    ) -> None:
        """Add one branch: its own tokens, their positions and states [L, T, H].

        ``parent``/``fork_at``: the branch forks from ``parent`` after ``fork_at`` of the
        parent's own tokens (1..len(parent tokens)); both or neither. ``logprobs``: one
        float (or None / NaN for "unknown") per token. ``variants``: name -> states of the
        same shape (every branch must have the same variant names). Extra keyword
        arguments are written into the branch's JSON object as they are.
        """
        bid = id
        if not isinstance(bid, str) or not bid:
            raise ValueError(f"branch id must be a non-empty string, got {bid!r}")
        if bid in self._by_id:
            raise ValueError(f"branch {bid!r}: id is not unique (already added)")
        if bid == "__metadata__":
            raise ValueError("branch '__metadata__': id is reserved by safetensors; choose another id")

        # tokens
        if isinstance(tokens, str) or not isinstance(tokens, Sequence):
            raise ValueError(f"branch {bid!r}: tokens must be a list of strings")
        tokens = list(tokens)
        if not tokens:
            raise ValueError(f"branch {bid!r}: tokens must not be empty")
        for i, t in enumerate(tokens):
            if not isinstance(t, str):
                raise ValueError(f"branch {bid!r}: tokens[{i}] is {type(t).__name__}, expected str")
        tokens = [_clean_text(t) for t in tokens]
        n = len(tokens)

        # positions
        if isinstance(positions, str) or not isinstance(positions, (Sequence, np.ndarray)):
            raise ValueError(f"branch {bid!r}: positions must be a list of integers")
        positions = list(positions)
        if len(positions) != n:
            raise ValueError(f"branch {bid!r}: positions has {len(positions)} entries, tokens has {n}")
        for i, p in enumerate(positions):
            if not _is_int(p) or int(p) < 0:
                raise ValueError(f"branch {bid!r}: positions[{i}] = {p!r} is not a non-negative integer")
        positions = [int(p) for p in positions]

        # logprobs
        lp_out: Optional[List[Optional[float]]] = None
        if logprobs is not None:
            logprobs = list(logprobs)
            if len(logprobs) != n:
                raise ValueError(f"branch {bid!r}: logprobs has {len(logprobs)} entries, tokens has {n}")
            lp_out = []
            for i, v in enumerate(logprobs):
                if v is None:
                    lp_out.append(None)
                    continue
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise ValueError(f"branch {bid!r}: logprobs[{i}] = {v!r} is not a number or None")
                fv = float(v)
                if math.isnan(fv):
                    lp_out.append(None)
                elif math.isinf(fv):
                    raise ValueError(f"branch {bid!r}: logprobs[{i}] is infinite; use None for unknown")
                else:
                    lp_out.append(fv)

        # tree
        if parent is None:
            if fork_at is not None:
                raise ValueError(f"branch {bid!r}: fork_at is given but parent is not (a root has fork_at null)")
        else:
            if parent not in self._by_id:
                raise ValueError(
                    f"branch {bid!r}: parent {parent!r} is unknown (parents must be added before their children)"
                )
            if fork_at is None:
                raise ValueError(f"branch {bid!r}: fork_at is required with a parent")
            n_parent = len(self._by_id[parent].tokens)
            if not _is_int(fork_at) or not 1 <= int(fork_at) <= n_parent:
                raise ValueError(
                    f"branch {bid!r}: fork_at = {fork_at!r} is out of range 1..{n_parent} "
                    f"(the number of parent {parent!r} tokens before the fork)"
                )
            fork_at = int(fork_at)

        if label is not None and not isinstance(label, str):
            raise ValueError(f"branch {bid!r}: label must be a string or None")

        # extras
        for key in extra:
            if key in _RESERVED_BRANCH_KEYS:
                raise ValueError(f"branch {bid!r}: extra field {key!r} clashes with a format field")
        try:
            json.dumps(extra, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"branch {bid!r}: extra fields must be JSON values ({e})") from None

        # states and variants
        arr = self._check_states(bid, "states", states, n)
        variants = dict(variants or {})
        for name in variants:
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
                raise ValueError(
                    f"branch {bid!r}: variant name {name!r} must be a non-empty string of letters, digits, '_', '-', '.'"
                )
        names = tuple(sorted(variants))
        if self._variant_names is None:
            pass
        elif names != self._variant_names:
            raise ValueError(
                f"branch {bid!r}: variants {list(names)} differ from the earlier branches' "
                f"{list(self._variant_names)} (every branch needs the same variants)"
            )
        var_arrays = {name: self._check_states(bid, f"variant {name!r}", variants[name], n) for name in names}
        if self._variant_names is None:
            self._variant_names = names

        branch = _Branch(
            id=bid,
            tokens=tokens,
            positions=positions,
            states=arr,
            parent=parent,
            fork_at=fork_at,
            label=_clean_text(label) if label is not None else None,
            logprobs=lp_out,
            variants=var_arrays,
            extra=dict(extra),
        )
        self._branches.append(branch)
        self._by_id[bid] = branch

    # -- writing ----------------------------------------------------------------------

    def _check_encodable(self, dtype: str) -> None:
        """Values must stay finite in the stored dtype (f16 overflows above 65504)."""
        if dtype == "f32":
            return
        for b in self._branches:
            for what, arr in [("states", b.states)] + [(f"variant {k!r}", v) for k, v in b.variants.items()]:
                decoded = decoded_values(encode_array(arr, dtype), dtype)
                bad = ~np.isfinite(decoded)
                if bad.any():
                    li, ti, di = (int(v) for v in np.argwhere(bad)[0])
                    limit = "65504" if dtype == "f16" else "about 3.39e38"
                    hint = "use dtype 'bf16' or 'f32'" if dtype == "f16" else "use dtype 'f32'"
                    raise ValueError(
                        f"branch {b.id!r}: {what} value {float(arr[li, ti, di])!r} at layer {self.layers[li]} "
                        f"(index {li}), token {ti}, dimension {di} overflows {dtype} (largest finite value "
                        f"{limit}); {hint}"
                    )

    def manifest(self, tensors_file: str, variant_files: Mapping[str, str]) -> Dict[str, Any]:
        model: Dict[str, Any] = {"name": self.model_name}
        if self.model_version is not None:
            model["version"] = self.model_version
        if self.positional_encoding is not None:
            model["positional_encoding"] = self.positional_encoding
        doc: Dict[str, Any] = {
            "format": FORMAT,
            "title": self.title,
            "model": model,
            "layers": list(self.layers),
            "hidden_size": self.hidden_size,
            "tensors": tensors_file,
        }
        if variant_files:
            doc["variants"] = dict(variant_files)
        branches = []
        for b in self._branches:
            obj: Dict[str, Any] = {"id": b.id}
            if b.label is not None:
                obj["label"] = b.label
            obj["parent"] = b.parent
            obj["fork_at"] = b.fork_at
            obj["tokens"] = b.tokens
            obj["positions"] = b.positions
            if b.logprobs is not None:
                obj["logprobs"] = [None if v is None else round(v, 5) for v in b.logprobs]
            obj.update(b.extra)
            branches.append(obj)
        doc["branches"] = branches
        return doc

    def write(
        self,
        out_dir: "os.PathLike[str] | str",
        dtype: str = "f16",
        container: str = "safetensors",
        overwrite: bool = False,
    ) -> WriteResult:
        """Write the run folder ``out_dir`` atomically and return what was written.

        dtype: "f16" (default), "bf16" or "f32". container: "safetensors" (default) or
        "npz" (NumPy's zip of .npy arrays; f16/f32 only). The folder is built next to
        ``out_dir`` and renamed into place; an existing non-empty ``out_dir`` is refused
        unless ``overwrite`` is true, and then replaced only once the new run is complete.
        """
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        if container not in ("safetensors", "npz"):
            raise ValueError(f"container must be 'safetensors' or 'npz', got {container!r}")
        if container == "npz" and dtype == "bf16":
            raise ValueError("bf16 cannot be stored in npz (bfloat16 is not a NumPy dtype); use dtype 'f16' or 'f32', or container 'safetensors'")
        if not self._branches:
            raise ValueError("the run has no branches; add at least one before writing")
        out = Path(os.path.abspath(os.fspath(out_dir)))
        _check_target(out, overwrite)
        self._check_encodable(dtype)

        ext = "safetensors" if container == "safetensors" else "npz"
        main_file = f"activations.{ext}"
        variant_files = {name: f"activations.{name}.{ext}" for name in self.variant_names}
        manifest = self.manifest(main_file, variant_files)
        text = json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False) + "\n"

        parent_dir = out.parent if str(out.parent) else Path(".")
        parent_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=str(parent_dir)))
        result = WriteResult(
            path=Path(out_dir),
            n_branches=len(self._branches),
            n_tokens=sum(len(b.tokens) for b in self._branches),
            n_layers=len(self.layers),
            dtype=dtype,
            container=container,
        )
        try:
            metadata = {"format": FORMAT, "producer": "forkscope-capture"}
            jobs: List[Tuple[str, Optional[str]]] = [(main_file, None)] + [
                (variant_files[name], name) for name in self.variant_names
            ]
            for fname, variant in jobs:
                arrays = [(b.id, b.states if variant is None else b.variants[variant]) for b in self._branches]
                if container == "safetensors":
                    size = write_safetensors(tmp / fname, arrays, dtype=dtype, metadata=metadata)
                else:
                    size = _write_npz(tmp / fname, arrays, dtype)
                result.files.append((fname, size))
            data = text.encode("utf-8")
            (tmp / "run.json").write_bytes(data)
            result.files.insert(0, ("run.json", len(data)))
            _move_into_place(tmp, out, overwrite)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return result


def _write_npz(path: Path, arrays: Iterable[Tuple[str, np.ndarray]], dtype: str) -> int:
    """An uncompressed .npz (what np.savez writes), built directly so that any branch id
    can name an array (np.savez's own keyword arguments such as 'file' cannot clash)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in arrays:
            encoded = encode_array(arr, dtype)
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, encoded, allow_pickle=False)
    return path.stat().st_size


def _is_nonempty_dir(p: Path) -> bool:
    try:
        return any(p.iterdir())
    except FileNotFoundError:
        return False


def _check_target(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    if out.is_dir() and _is_nonempty_dir(out) and not overwrite:
        raise ValueError(f"{out} exists and is not empty; pass overwrite=True (--overwrite) to replace it")


def _move_into_place(tmp: Path, out: Path, overwrite: bool) -> None:
    _check_target(out, overwrite)
    if out.is_dir():
        if not _is_nonempty_dir(out):
            out.rmdir()
        else:
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=str(out.parent)))
            backup.rmdir()
            os.rename(out, backup)
            try:
                os.rename(tmp, out)
            except BaseException:
                os.rename(backup, out)
                raise
            if backup.is_symlink():
                backup.unlink()
            else:
                shutil.rmtree(backup, ignore_errors=True)
            return
    os.rename(tmp, out)


# -- reading (for tests and for checking a run) ---------------------------------------


@dataclass
class LoadedRun:
    manifest: Dict[str, Any]
    tensors: Dict[str, np.ndarray]
    variants: Dict[str, Dict[str, np.ndarray]]

    @property
    def branches(self) -> List[Dict[str, Any]]:
        return self.manifest["branches"]


def _read_tensor_file(path: Path) -> Dict[str, np.ndarray]:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k], dtype=np.float32) for k in z.files}
    return read_safetensors(path)


def read_run(folder: "os.PathLike[str] | str") -> LoadedRun:
    """Read a run folder back: the manifest and every tensor file as float32 arrays.

    Checks the structural rules of the format (ids, parents, fork_at, lengths, shapes).
    """
    folder = Path(folder)
    manifest = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{folder}/run.json: format is {manifest.get('format')!r}, expected {FORMAT!r}")
    tensors = _read_tensor_file(folder / manifest["tensors"])
    variants = {name: _read_tensor_file(folder / f) for name, f in (manifest.get("variants") or {}).items()}
    layers, hidden = manifest["layers"], manifest["hidden_size"]
    seen: Dict[str, Dict[str, Any]] = {}
    for b in manifest["branches"]:
        bid = b["id"]
        if bid in seen:
            raise ValueError(f"branch {bid!r}: duplicate id")
        n = len(b["tokens"])
        if len(b["positions"]) != n or ("logprobs" in b and len(b["logprobs"]) != n):
            raise ValueError(f"branch {bid!r}: lengths differ")
        if b["parent"] is not None:
            if b["parent"] not in seen:
                raise ValueError(f"branch {bid!r}: unknown parent")
            if not 1 <= b["fork_at"] <= len(seen[b["parent"]]["tokens"]):
                raise ValueError(f"branch {bid!r}: fork_at out of range")
        for name, arrays in [("tensors", tensors)] + list(variants.items()):
            if bid not in arrays:
                raise ValueError(f"branch {bid!r}: no tensor in {name}")
            if arrays[bid].shape != (len(layers), n, hidden):
                raise ValueError(f"branch {bid!r}: tensor shape {arrays[bid].shape} in {name}")
        seen[bid] = b
    return LoadedRun(manifest=manifest, tensors=tensors, variants=variants)
