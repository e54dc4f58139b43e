"""Hugging Face ``transformers`` backend.

Layer ``i`` of a run is the residual stream after ``i`` blocks: ``hidden_states[i]`` of
``model(ids, output_hidden_states=True, use_cache=False)`` (0 = embedding output), except the
last, which transformers gives after the model's final norm: it is taken instead as the final
norm's input (a forward pre-hook), so every layer is the residual stream, as TransformerLens's
``hook_resid_post`` and the runs in shared/ have it. Where the final norm is not found the
last layer stays transformers' (``HFBackend.last_layer_normed`` says so, with a warning).
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .positions import PositionScheme, detect_scheme, zero_pe_inputs
from .sampling import Continuations
from .tokens import encode_prompt, eos_ids_of, token_pieces
from .tree import Backend, CaptureWarning, ZeroPEUnsupported

# Where causal LMs keep the norm applied after the last block, by architecture family.
_FINAL_NORM_PATHS = (
    "model.norm",                        # llama, mistral, qwen2/3, gemma, olmo, phi3, smollm, ...
    "transformer.ln_f",                  # gpt2, gpt_neo, gptj, gpt_bigcode, codegen, bloom
    "model.decoder.final_layer_norm",    # opt
    "gpt_neox.final_layer_norm",         # gpt_neox, pythia
    "model.final_layernorm",             # phi
    "model.language_model.norm",         # multimodal wrappers of a llama-like text model
)


def _final_norm(model: Any) -> Optional[Any]:
    for path in _FINAL_NORM_PATHS:
        obj = model
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return obj
    return None

__all__ = ["HFBackend", "gguf_location", "gguf_describe"]


def gguf_location(path: Any) -> Optional[Tuple[str, str]]:
    """``(folder, file name)`` if ``path`` names a GGUF file (by its ``.gguf`` suffix), else None.

    Raises ``FileNotFoundError`` for a ``.gguf`` path that is not a file."""
    p = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if p is None or not p.lower().endswith(".gguf"):
        return None
    if not os.path.isfile(p):
        raise FileNotFoundError(f"GGUF file {p} not found")
    full = os.path.abspath(p)
    return os.path.dirname(full), os.path.basename(full)


def gguf_describe(path: Any) -> Tuple[str, Optional[str]]:
    """A model name and version for a GGUF file: the version is its quantisation
    (``general.file_type``: ``Q4_1``, ``Q8_0``, ``F16``, ...), the name the file name
    without ``.gguf`` and without that quantisation suffix
    (``SmolLM2-135M-Instruct.Q4_1.gguf`` -> ``SmolLM2-135M-Instruct``, ``Q4_1``)."""
    stem = os.path.basename(os.fspath(path))
    if stem.lower().endswith(".gguf"):
        stem = stem[: -len(".gguf")]
    version: Optional[str] = None
    try:
        import gguf

        reader = gguf.GGUFReader(os.fspath(path))
        field = reader.fields.get("general.file_type")
        if field is not None:
            ftype = gguf.LlamaFileType(int(field.contents()))
            version = ftype.name
            for prefix in ("MOSTLY_", "ALL_"):
                if version.startswith(prefix):
                    version = version[len(prefix):]
    except Exception:  # pragma: no cover - unreadable metadata: fall back to the file name
        version = None
    if version is None:  # e.g. "model-q8_0.gguf" without general.file_type
        m = re.search(r"[.\-]((?:I?Q\d\w*)|F16|F32|BF16)$", stem, flags=re.IGNORECASE)
        version = m.group(1) if m else None
    name = stem
    if version:
        for sep in (".", "-", "_"):
            if name.lower().endswith((sep + version).lower()) and len(name) > len(version) + 1:
                name = name[: -(len(version) + 1)]
                break
    return name or stem, version


def _model_name(model: Any) -> str:
    name = getattr(model.config, "_name_or_path", "") or getattr(model, "name_or_path", "") or ""
    name = str(name).rstrip("/\\")
    if not name:
        return str(getattr(model.config, "model_type", None) or type(model).__name__)
    if os.path.isdir(name):
        return os.path.basename(name)
    return name


def _first_int(config: Any, *names: str) -> Optional[int]:
    for n in names:
        v = getattr(config, n, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None


class HFBackend(Backend):
    """Wraps a ``transformers`` causal LM and its tokenizer.

    ``HFBackend.from_pretrained(name_or_path)`` loads both. The model is put in eval mode
    on ``device``; hidden states are returned as float32 whatever the model's dtype.
    """

    def __init__(self, model: Any, tokenizer: Any, device: str = "cpu", model_name: Optional[str] = None,
                 model_version: Optional[str] = None) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        n_layers = _first_int(config, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
        hidden = _first_int(config, "hidden_size", "n_embd", "d_model")
        if n_layers is None or hidden is None:
            raise ValueError(f"cannot read the number of layers / hidden size from the {config.model_type} config")
        self.n_layers = n_layers
        self.hidden_size = hidden
        self.model_name = model_name or _model_name(model)
        self.model_version = model_version
        embeddings = model.get_input_embeddings() if hasattr(model, "get_input_embeddings") else None
        rows = getattr(embeddings, "num_embeddings", None)
        self.vocab_size = int(rows) if isinstance(rows, int) and rows > 0 else _first_int(config, "vocab_size")
        self.max_positions = _first_int(config, "n_positions", "max_position_embeddings")
        self._scheme: Optional[PositionScheme] = None
        self._scheme_error: Optional[str] = None
        try:
            self._scheme = detect_scheme(model)
        except ValueError as e:
            self._scheme_error = str(e)
        kind = self._scheme.kind if self._scheme is not None else None
        self.positional_encoding = kind if kind in ("learned", "sinusoidal", "rope", "alibi") else None
        self.eos_ids = eos_ids_of(tokenizer, config, getattr(model, "generation_config", None))
        self._zero_pe_checked = False
        self._final_norm = _final_norm(self.model)
        self.last_layer_normed = self._final_norm is None
        if self.last_layer_normed:
            warnings.warn(
                f"{self.model_name}: final norm not found for {config.model_type}; the last layer is "
                "transformers' hidden_states[-1], after the final norm", CaptureWarning, stacklevel=2)

    @classmethod
    def from_pretrained(cls, name_or_path: str, dtype: Any = torch.float32, device: str = "cpu",
                        model_version: Optional[str] = None, model_name: Optional[str] = None,
                        gguf_file: Optional[str] = None, **model_kwargs: Any) -> "HFBackend":
        """Load a model and its tokenizer: a Hugging Face name, a ``save_pretrained`` folder, or
        a GGUF file (a path ending in ``.gguf``, or ``gguf_file=`` a file name inside the folder
        ``name_or_path``), which transformers dequantises (here to float32). For a GGUF file the
        default name and version come from :func:`gguf_describe` (e.g. ``SmolLM2-135M-Instruct``,
        ``Q4_1``); ``model_name`` / ``model_version`` override them."""
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = str(name_or_path)
        if gguf_file is None:
            found = gguf_location(path)
            if found is not None:
                path, gguf_file = found
        if gguf_file is not None:
            full = os.path.join(path, gguf_file)
            if not os.path.isfile(full):
                raise FileNotFoundError(f"GGUF file {full} not found")
            model_kwargs["gguf_file"] = gguf_file
            tokenizer = AutoTokenizer.from_pretrained(path, gguf_file=gguf_file)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **model_kwargs)
            default_name, default_version = gguf_describe(full)
        else:
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **model_kwargs)
            default_name = os.path.basename(path.rstrip("/\\")) if os.path.isdir(path) else path
            default_version = None
        return cls(model, tokenizer, device=device, model_name=model_name or default_name,
                   model_version=model_version if model_version is not None else default_version)

    @property
    def scheme(self) -> Optional[PositionScheme]:
        return self._scheme

    # -- text ---------------------------------------------------------------------------

    def encode(self, prompt: str, chat: bool = False) -> List[int]:
        return encode_prompt(self.tokenizer, prompt, chat=chat)

    def token_strings(self, ids: Sequence[int]) -> List[str]:
        return token_pieces(self.tokenizer, ids)

    # -- zero_pe ----------------------------------------------------------------------------

    def check_zero_pe(self) -> None:
        if self._scheme is None:
            raise ZeroPEUnsupported(self._scheme_error or "zero_pe: unknown positional scheme; capture with --no-zero-pe")
        if not self._scheme.supports_zero_pe:
            raise ZeroPEUnsupported(self._scheme.refusal())
        if not self._zero_pe_checked:
            scheme = self._scheme
            self.probe_zero_pe(f"{scheme.model_type} ({scheme.reason})", embeddings_unchanged=scheme.kind == "rope")
            self._zero_pe_checked = True

    # -- running ------------------------------------------------------------------------

    def _run(self, ids: Sequence[int], zero_pe: bool) -> Tuple[np.ndarray, np.ndarray]:
        input_ids = torch.tensor([list(ids)], dtype=torch.long, device=self.device)
        kwargs = {"output_hidden_states": True, "use_cache": False, "attention_mask": torch.ones_like(input_ids)}
        before_norm: List[Any] = []
        with torch.no_grad(), contextlib.ExitStack() as stack:
            if self._final_norm is not None:
                handle = self._final_norm.register_forward_pre_hook(lambda _m, args: before_norm.append(args[0]))
                stack.callback(handle.remove)
            if zero_pe:
                if self._scheme is None or not self._scheme.supports_zero_pe:
                    raise ZeroPEUnsupported(self._scheme.refusal() if self._scheme else str(self._scheme_error))
                with zero_pe_inputs(self.model, self._scheme, input_ids) as extra:
                    kwargs.update(extra)
                    out = self.model(input_ids, **kwargs)
            else:
                out = self.model(input_ids, **kwargs)
        hs = out.hidden_states
        if hs is None or len(hs) != self.n_layers + 1:
            raise RuntimeError(
                f"{self.model_name}: expected {self.n_layers + 1} hidden states, got {None if hs is None else len(hs)}"
            )
        layers = list(hs)
        if self._final_norm is not None:
            if len(before_norm) != 1:
                raise RuntimeError(f"{self.model_name}: the final norm ran {len(before_norm)} times in one forward pass")
            layers[-1] = before_norm[0]
        hidden = torch.stack([h[0] for h in layers]).float().cpu().numpy()
        logits = out.logits[0].float()
        lp = np.full(len(ids), np.nan, dtype=np.float64)
        if len(ids) > 1:
            logp = torch.log_softmax(logits[:-1].double(), dim=-1)
            target = input_ids[0, 1:].unsqueeze(-1)
            lp[1:] = logp.gather(-1, target).squeeze(-1).cpu().numpy()
        return hidden, lp

    def forward(self, ids: Sequence[int], zero_pe: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        if not ids:
            raise ValueError("forward needs at least one token")
        return self._run(ids, zero_pe)

    def _cache_kwarg(self) -> str:
        """transformers 5.x calls the KV cache argument ``cache``; 4.x ``past_key_values``."""
        try:
            params = inspect.signature(self.model.forward).parameters
        except (TypeError, ValueError):  # pragma: no cover
            return "past_key_values"
        return "cache" if "cache" in params else "past_key_values"

    def sample(self, prefix_ids: Sequence[int], n: int, max_new_tokens: int, temperature: float,
               top_p: float, rng: np.random.Generator) -> List[List[int]]:
        """Batched sampling with the KV cache; tokens are chosen in NumPy from ``rng``."""
        if n <= 0:
            return []
        prefix = [int(i) for i in prefix_ids]
        grown = Continuations(n, self.eos_ids)
        input_ids = torch.tensor([prefix] * n, dtype=torch.long, device=self.device)
        mask = torch.ones_like(input_ids)
        cache_kw = self._cache_kwarg()
        with torch.no_grad():
            out = self.model(input_ids, attention_mask=mask, use_cache=True)
            past = _output_cache(out)
            logits = out.logits[:, -1, :].double().cpu().numpy()
            for step in range(max_new_tokens):
                if grown.step(logits, temperature, top_p, rng) or step == max_new_tokens - 1:
                    break
                nxt = torch.tensor(grown.last_tokens(), dtype=torch.long, device=self.device)
                mask = torch.cat([mask, torch.ones((n, 1), dtype=mask.dtype, device=self.device)], dim=1)
                out = self.model(nxt, attention_mask=mask, use_cache=True, **{cache_kw: past})
                past = _output_cache(out)
                logits = out.logits[:, -1, :].double().cpu().numpy()
        return grown.result()


def _output_cache(out: Any) -> Any:
    """The KV cache of a model output (``cache`` in transformers 5.x, ``past_key_values`` before)."""
    if "cache" in getattr(out, "keys", lambda: [])():
        return out["cache"]
    cache = getattr(out, "cache", None)
    if cache is not None:
        return cache
    return out.past_key_values
