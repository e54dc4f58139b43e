"""Backend-independent branching capture: prompts -> sampled continuations -> forks.

A :class:`Backend` wraps one model (Hugging Face, TransformerLens, or anything else);
:func:`capture` samples the branch tree with a seeded generator, runs one full forward pass
per branch (no KV cache) and returns a :class:`~forkscope_capture.writer.RunWriter`.

Layer convention: the states of layer ``i`` are the model's residual stream with ``i``
blocks applied; layer 0 is the embedding output (token embedding plus, for learned
absolute positions, the position embedding). For the Hugging Face backend these are
``transformers``' ``hidden_states[i]``, whose LAST entry is taken after the model's final
norm (transformers' convention); for TransformerLens they are ``blocks.0.hook_resid_pre``
and ``blocks.{i-1}.hook_resid_post`` (the last one before ``ln_final``).
"""

from __future__ import annotations

import abc
import json
import os
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .writer import RunWriter

__all__ = [
    "Backend",
    "CaptureWarning",
    "CaptureInputError",
    "ZeroPEUnsupported",
    "capture",
    "replay",
    "load_replay_source",
    "prompt_label",
]


class CaptureWarning(UserWarning):
    """Something was left out of a capture (e.g. an empty continuation)."""


class CaptureInputError(ValueError):
    """A capture argument or prompt is not usable (the CLI exits with status 2)."""


class ZeroPEUnsupported(CaptureInputError):
    """The model's positional scheme has no defined "positions removed" variant."""


class Backend(abc.ABC):
    """What :func:`capture` needs from a model.

    Attributes: ``n_layers`` (number of blocks; states have ``n_layers + 1`` layers),
    ``hidden_size``, ``model_name``, ``model_version`` (or None), ``positional_encoding``
    ("rope", "learned", "alibi", ... or None), ``max_positions`` (or None if unknown),
    ``vocab_size`` (the number of token ids the model embeds, or None if unknown).
    """

    n_layers: int
    hidden_size: int
    model_name: str
    model_version: Optional[str] = None
    positional_encoding: Optional[str] = None
    max_positions: Optional[int] = None
    vocab_size: Optional[int] = None

    @abc.abstractmethod
    def encode(self, prompt: str, chat: bool = False) -> List[int]:
        """Token ids of a prompt (with ``chat``: as a user message of the chat template)."""

    @abc.abstractmethod
    def token_strings(self, ids: Sequence[int]) -> List[str]:
        """Each token decoded on its own (e.g. " grow")."""

    @abc.abstractmethod
    def sample(
        self,
        prefix_ids: Sequence[int],
        n: int,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        rng: np.random.Generator,
    ) -> List[List[int]]:
        """``n`` continuations of ``prefix_ids``: new tokens only, each at most
        ``max_new_tokens`` long and cut after its first end-of-sequence token (inclusive).
        Deterministic for a given state of ``rng``."""

    @abc.abstractmethod
    def forward(self, ids: Sequence[int], zero_pe: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        """One full forward pass, no KV cache.

        Returns ``hidden`` float32 ``[n_layers + 1, len(ids), hidden_size]`` and
        ``logprobs`` ``[len(ids)]`` where ``logprobs[0]`` is NaN (unknown) and
        ``logprobs[t] = log_softmax(logits[t - 1])[ids[t]]`` at temperature 1. With
        ``zero_pe`` the same tokens are run with position information removed."""

    def check_zero_pe(self) -> None:
        """Raise :class:`ZeroPEUnsupported` if ``forward(..., zero_pe=True)`` is not defined
        for this model. Called by :func:`capture` before any sampling."""

    def probe_zero_pe(self, described: str, embeddings_unchanged: bool = False) -> None:
        """Guard against a silent no-op: on a 4-token probe, zero_pe must change the states
        and, where position acts only inside attention (``embeddings_unchanged``, e.g. RoPE),
        leave layer 0 as it is. Raises :class:`ZeroPEUnsupported` naming ``described``."""
        probe = [0, 1, 2, 3]
        a, _ = self.forward(probe, zero_pe=False)
        b, _ = self.forward(probe, zero_pe=True)
        if np.array_equal(a, b):
            raise ZeroPEUnsupported(f"zero_pe had no effect on {described}; capture with --no-zero-pe")
        if embeddings_unchanged and not np.allclose(a[0], b[0], atol=1e-6, rtol=0):
            raise ZeroPEUnsupported(
                f"zero_pe for {described} changed the embedding layer, which it should not; capture with --no-zero-pe"
            )


def prompt_label(prompt: str, width: int = 40) -> str:
    text = " ".join(prompt.split())
    return "prompt: " + (text[:width] + "\u2026" if len(text) > width else text)


def _resolve_layers(layers: Optional[Sequence[int]], n_layers: int) -> List[int]:
    if layers is None:
        return list(range(n_layers + 1))
    out = []
    for x in layers:
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
            raise CaptureInputError(f"layers must be integers, got {x!r}")
        if not 0 <= int(x) <= n_layers:
            raise CaptureInputError(f"layer {x} is out of range 0..{n_layers} (the model has {n_layers} blocks)")
        out.append(int(x))
    if not out:
        raise CaptureInputError("layers must not be empty")
    if len(set(out)) != len(out):
        raise CaptureInputError(f"layers must be distinct, got {out}")
    return out



def _writer(backend, title, layer_list):
    """An empty run for `backend`'s model: its name, version, positional scheme and hidden size."""
    return RunWriter(
        title=title,
        model_name=backend.model_name,
        model_version=getattr(backend, "model_version", None),
        positional_encoding=backend.positional_encoding,
        layers=layer_list,
        hidden_size=backend.hidden_size,
    )

def capture(
    backend: Backend,
    prompts: Sequence[Union[str, Sequence[int]]],
    samples: int = 4,
    tokens: int = 48,
    forks: int = 0,
    temperature: float = 0.8,
    top_p: float = 1.0,
    seed: int = 0,
    zero_pe: bool = True,
    layers: Optional[Sequence[int]] = None,
    chat: bool = False,
    title: Optional[str] = None,
) -> RunWriter:
    """Sample a branch tree and record its hidden states.

    - one root per prompt: ids "p0", "p1", ...; label "prompt: <first 40 chars>";
    - ``samples`` continuations of up to ``tokens`` new tokens per prompt: "p0.s1", ...,
      parent the prompt, ``fork_at`` = number of prompt tokens;
    - ``forks`` forks per continuation: "p0.s1.f1", ...; the fork point k is drawn
      uniformly from 1..len(sample)-1 and the fork samples len(sample)-k new tokens after
      prompt + sample[:k]; ``fork_at`` = k.

    Every branch is recorded with ONE forward pass over prefix + its own tokens; only its
    own tokens' states are kept. A prompt may also be given as a list of token ids.
    Besides the format's fields each branch gets ``token_ids`` (its own tokens' ids) and a
    root gets ``text`` (the prompt); readers ignore fields they do not know.
    Returns the :class:`RunWriter`; call ``.write(folder)`` on it.
    """
    if isinstance(prompts, str):
        raise CaptureInputError("prompts must be a list of prompts, not one string")
    prompts = list(prompts)
    if not prompts:
        raise CaptureInputError("no prompts")
    for name, value, low in (("samples", samples, 0), ("tokens", tokens, 1), ("forks", forks, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise CaptureInputError(f"{name} must be an integer >= {low}, got {value!r}")
    if not 0.0 < float(top_p) <= 1.0:
        raise CaptureInputError(f"top_p must be in (0, 1], got {top_p}")
    if float(temperature) < 0:
        raise CaptureInputError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    if forks and not samples:
        raise CaptureInputError("forks need samples to fork from (samples is 0)")
    layer_list = _resolve_layers(layers, backend.n_layers)
    if zero_pe:
        backend.check_zero_pe()

    encoded: List[Tuple[str, List[int]]] = []
    for i, p in enumerate(prompts):
        if isinstance(p, str):
            try:
                ids = backend.encode(p, chat=chat)
            except CaptureInputError:
                raise
            except ValueError as e:
                raise CaptureInputError(f"prompt {i}: {e}") from None
            text = p
        else:
            ids = [int(t) for t in p]
            if not ids:
                raise CaptureInputError(f"prompt {i} has no tokens")
            text = "".join(backend.token_strings(ids))
        limit = backend.max_positions
        if limit is not None and len(ids) + (tokens if samples else 0) > limit:
            raise CaptureInputError(
                f"prompt {i} has {len(ids)} tokens; with {tokens} new tokens it exceeds the "
                f"model's {limit} positions"
            )
        encoded.append((text, ids))

    if title is None:
        title = (
            f"{backend.model_name}: {len(prompts)} prompt{'s' if len(prompts) != 1 else ''} x "
            f"{samples} sampled continuations ({tokens} tok, T={temperature:g}"
            + (f", top_p={top_p:g}" if top_p < 1 else "")
            + (f", {forks} fork{'s' if forks != 1 else ''} each" if forks else "")
            + ")"
            + ("; variant zero_pe = same tokens, positions removed" if zero_pe else "")
        )
    writer = _writer(backend, title, layer_list)
    rng = np.random.default_rng(seed)

    def record(bid: str, prefix: List[int], own: List[int], **kw: Any) -> None:
        full = prefix + own
        hidden, lp = backend.forward(full, zero_pe=False)
        _check_forward(backend, bid, hidden, lp, len(full))
        states = hidden[layer_list, len(prefix):, :]
        variants: Optional[Dict[str, np.ndarray]] = None
        if zero_pe:
            hidden_z, _ = backend.forward(full, zero_pe=True)
            _check_forward(backend, bid, hidden_z, None, len(full))
            variants = {"zero_pe": hidden_z[layer_list, len(prefix):, :]}
        writer.add_branch(
            bid,
            tokens=backend.token_strings(own),
            positions=list(range(len(prefix), len(full))),
            states=states,
            logprobs=[None if np.isnan(v) else float(v) for v in lp[len(prefix):]],
            variants=variants,
            token_ids=[int(t) for t in own],
            **kw,
        )

    for pi, (text, prompt_ids) in enumerate(encoded):
        root = f"p{pi}"
        record(root, [], prompt_ids, label=prompt_label(text), text=text)
        if not samples:
            continue
        conts = backend.sample(prompt_ids, samples, tokens, temperature, top_p, rng)
        if len(conts) != samples:
            raise RuntimeError(f"backend returned {len(conts)} continuations, asked for {samples}")
        for si, cont in enumerate(conts, start=1):
            sid = f"{root}.s{si}"
            cont = [int(t) for t in cont]
            if not cont:
                warnings.warn(f"{sid}: the continuation came back empty; skipped", CaptureWarning, stacklevel=2)
                continue
            record(sid, prompt_ids, cont, parent=root, fork_at=len(prompt_ids), label=f"sample {si}")
            for fi in range(1, forks + 1):
                fid = f"{sid}.f{fi}"
                if len(cont) < 2:
                    warnings.warn(
                        f"{fid}: sample {sid} has {len(cont)} token(s), too short to fork; skipped",
                        CaptureWarning,
                        stacklevel=2,
                    )
                    continue
                k = int(rng.integers(1, len(cont)))  # 1..len(cont)-1
                prefix = prompt_ids + cont[:k]
                (fork,) = backend.sample(prefix, 1, len(cont) - k, temperature, top_p, rng)
                fork = [int(t) for t in fork]
                if not fork:
                    warnings.warn(f"{fid}: the fork came back empty; skipped", CaptureWarning, stacklevel=2)
                    continue
                record(fid, prefix, fork, parent=sid, fork_at=k, label=f"fork {fi} of sample {si} at token {k}")
    return writer


# -- teacher-forced replay ---------------------------------------------------------------

_REPLAY_SKIP = {"id", "label", "parent", "fork_at", "tokens", "positions", "logprobs", "token_ids"}


def _is_plain_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def load_replay_source(source: Union[str, "os.PathLike[str]"], vocab_size: Optional[int] = None) -> Tuple[Path, Dict[str, Any]]:
    """Read and check the run.json of a run to replay (a run folder or its run.json).

    Returns ``(path of run.json, manifest)``. Every problem is a :class:`CaptureInputError`
    naming the file and the field: no ``token_ids`` (runs not written by forkscope-capture),
    ids that are not integers, differ in number from ``tokens`` or (with ``vocab_size``) fall
    outside the vocabulary, unknown or later parents, ``fork_at`` out of range, and
    ``positions`` other than the ones the replay runs (continuing from the prefix).
    """
    path = Path(source)
    if path.is_dir() or path.suffix.lower() != ".json":
        path = path / "run.json"
    if not path.is_file():
        raise CaptureInputError(f"{path}: not found (--replay takes a run folder holding run.json)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise CaptureInputError(f"{path}: not UTF-8 ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise CaptureInputError(f"{path}: invalid JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(doc, dict):
        raise CaptureInputError(f"{path}: expected a JSON object")
    branches = doc.get("branches")
    if not isinstance(branches, list) or not branches:
        raise CaptureInputError(f"{path}: branches: expected a non-empty list of branches")
    full: Dict[str, List[int]] = {}   # id -> prefix + own ids
    own_len: Dict[str, int] = {}
    for i, b in enumerate(branches):
        where = f"{path}: branches[{i}]"
        if not isinstance(b, dict):
            raise CaptureInputError(f"{where}: expected an object")
        bid = b.get("id")
        if not isinstance(bid, str) or not bid:
            raise CaptureInputError(f"{where}.id: expected a non-empty string")
        if bid in full:
            raise CaptureInputError(f"{where}.id: {bid!r} is not unique")
        tokens = b.get("tokens")
        if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
            raise CaptureInputError(f"{where}.tokens: expected a non-empty list of strings")
        if "token_ids" not in b:
            raise CaptureInputError(
                f"{where}.token_ids: missing (a replay needs the token ids that forkscope-capture writes)")
        ids = b["token_ids"]
        if not isinstance(ids, list):
            raise CaptureInputError(f"{where}.token_ids: expected a list of token ids")
        if len(ids) != len(tokens):
            raise CaptureInputError(f"{where}.token_ids: {len(ids)} ids for {len(tokens)} tokens")
        for j, t in enumerate(ids):
            if not _is_plain_int(t) or t < 0:
                raise CaptureInputError(f"{where}.token_ids[{j}]: {t!r} is not a token id (a non-negative integer)")
            if vocab_size is not None and t >= vocab_size:
                raise CaptureInputError(
                    f"{where}.token_ids[{j}]: {t} is outside the model's vocabulary (ids 0..{vocab_size - 1})")
        parent, fork_at = b.get("parent"), b.get("fork_at")
        if parent is None:
            if fork_at is not None:
                raise CaptureInputError(f"{where}.fork_at: {fork_at!r} given without a parent")
            prefix: List[int] = []
        else:
            if not isinstance(parent, str) or parent not in full:
                raise CaptureInputError(f"{where}.parent: {parent!r} is not the id of an earlier branch")
            if not _is_plain_int(fork_at) or not 1 <= fork_at <= own_len[parent]:
                raise CaptureInputError(
                    f"{where}.fork_at: {fork_at!r} is outside 1..{own_len[parent]} (the parent's token count)")
            start = len(full[parent]) - own_len[parent]
            prefix = full[parent][: start + fork_at]
        positions = b.get("positions")
        expected = list(range(len(prefix), len(prefix) + len(ids)))
        if positions is not None and positions != expected:
            raise CaptureInputError(
                f"{where}.positions: a replay runs each token at the position after its prefix "
                f"({expected[0]}..{expected[-1]}); this run has {_span(positions)}")
        full[bid] = prefix + [int(t) for t in ids]
        own_len[bid] = len(ids)
    return path, doc


def _span(values: Any) -> str:
    if isinstance(values, list) and values:
        return f"{values[0]!r}..{values[-1]!r}" if len(values) > 1 else repr(values[0])
    return repr(values)


def replay(
    backend: Backend,
    source: Union[str, "os.PathLike[str]"],
    zero_pe: bool = True,
    layers: Optional[Sequence[int]] = None,
    title: Optional[str] = None,
) -> RunWriter:
    """Teacher-forced replay: record the states of an existing run's branch tree with
    ``backend`` instead of sampling.

    ``source`` is a run folder (or its run.json) written by :func:`capture`: every branch's
    ``token_ids`` are run again, each branch with ONE forward pass over prefix + its own
    tokens, as :func:`capture` records them. The new run has the same branches (ids, labels,
    parents, ``fork_at``, token ids, token texts, positions and the other fields such as the
    prompts' ``text``); states and ``logprobs`` are this model's. The model's vocabulary must
    hold every id (else :class:`CaptureInputError`, naming the file and the field). Token
    texts are copied from the source; a :class:`CaptureWarning` says if this backend's
    tokenizer spells some differently.
    """
    vocab = getattr(backend, "vocab_size", None)
    path, doc = load_replay_source(source, vocab_size=vocab)
    layer_list = _resolve_layers(layers, backend.n_layers)
    limit = backend.max_positions
    if zero_pe:
        backend.check_zero_pe()
    if title is None:
        version = getattr(backend, "model_version", None)
        src_title = doc.get("title") if isinstance(doc.get("title"), str) else path.parent.name
        title = f"{backend.model_name}" + (f" ({version})" if version else "") + f", teacher-forced replay of: {src_title}"
    writer = _writer(backend, title, layer_list)
    full: Dict[str, List[int]] = {}    # id -> prefix + own ids
    own_len: Dict[str, int] = {}
    respelled: List[str] = []
    for i, b in enumerate(doc["branches"]):
        bid = b["id"]
        own = [int(t) for t in b["token_ids"]]
        if b.get("parent") is None:
            prefix: List[int] = []
        else:
            parent = b["parent"]
            start = len(full[parent]) - own_len[parent]
            prefix = full[parent][: start + b["fork_at"]]
        ids = prefix + own
        if limit is not None and len(ids) > limit:
            raise CaptureInputError(
                f"{path}: branches[{i}]: {len(ids)} tokens with the prefix exceed the model's {limit} positions")
        full[bid] = ids
        own_len[bid] = len(own)
        hidden, lp = backend.forward(ids, zero_pe=False)
        _check_forward(backend, bid, hidden, lp, len(ids))
        variants: Optional[Dict[str, np.ndarray]] = None
        if zero_pe:
            hidden_z, _ = backend.forward(ids, zero_pe=True)
            _check_forward(backend, bid, hidden_z, None, len(ids))
            variants = {"zero_pe": hidden_z[layer_list, len(prefix):, :]}
        tokens = list(b["tokens"])
        try:
            if backend.token_strings(own) != tokens:
                respelled.append(bid)
        except Exception:  # a tokenizer that cannot decode an id: the texts are the source's anyway
            respelled.append(bid)
        extra = {k: v for k, v in b.items() if k not in _REPLAY_SKIP}
        writer.add_branch(
            bid,
            tokens=tokens,
            positions=list(range(len(prefix), len(ids))),
            states=hidden[layer_list, len(prefix):, :],
            parent=b.get("parent"),
            fork_at=b.get("fork_at"),
            label=b.get("label"),
            logprobs=[None if np.isnan(v) else float(v) for v in lp[len(prefix):]],
            variants=variants,
            token_ids=own,
            **extra,
        )
    if respelled:
        warnings.warn(
            f"{len(respelled)} branch(es) ({', '.join(respelled[:3])}{', ...' if len(respelled) > 3 else ''}): "
            f"{backend.model_name}'s tokenizer spells some tokens differently from {path}; the texts are kept "
            "as the source has them", CaptureWarning, stacklevel=2)
    return writer


def _check_forward(backend: Backend, bid: str, hidden: Any, lp: Any, n: int) -> None:
    expected = (backend.n_layers + 1, n, backend.hidden_size)
    if not isinstance(hidden, np.ndarray) or hidden.shape != expected:
        shape = getattr(hidden, "shape", None)
        raise RuntimeError(f"{bid}: backend forward returned hidden states of shape {shape}, expected {expected}")
    if lp is not None and (not isinstance(lp, np.ndarray) or lp.shape != (n,)):
        raise RuntimeError(f"{bid}: backend forward returned logprobs of shape {getattr(lp, 'shape', None)}, expected ({n},)")
