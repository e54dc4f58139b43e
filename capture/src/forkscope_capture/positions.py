"""Removing position information from a Hugging Face causal LM ("zero_pe"), per family.

``zero_pe`` re-runs the same tokens with position information removed, so a reader can
compare each state with its position-free twin. What "removed" means depends on how the
model encodes position:

- learned (or sinusoidal) absolute position embeddings, added to the token embedding
  (GPT-2, GPT-Neo, GPT-BigCode/StarCoder 1, OPT, BioGPT, OpenAI-GPT, XGLM, MPT without
  ALiBi): the position-embedding module's output is replaced by zeros with a forward
  hook, so layer 0 is the token embedding alone;
- rotary embeddings (LLaMA, Mistral, Qwen, Gemma, Phi, GPT-NeoX, GPT-J, OLMo, StableLM,
  StarCoder 2, ...): every position id is set to 0, so the rotation of q and k is the
  identity; layer 0 (the embeddings) is unchanged. An all-ones attention mask is passed
  explicitly: without it transformers (>= 4.53 and 5.x) reads position ids that do not
  increase by 1 as *packed sequences* and would let every token attend only to itself;
- ALiBi (BLOOM, MPT, Falcon with ``alibi=True``): position enters as a distance bias
  inside attention; there is no defined "zero" and capture refuses.

The family is decided from ``config.model_type``; a model type not in the tables is
accepted only if its config clearly describes rotary embeddings (and nothing ALiBi-like),
or if exactly one learned position-embedding module is found in the module tree.
"""

from __future__ import annotations

import contextlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["PositionScheme", "detect_scheme", "zero_pe_inputs", "LEARNED_MODULES", "ROPE_MODEL_TYPES", "ALIBI_MODEL_TYPES"]

# model_type -> candidate dotted paths (relative to the *ForCausalLM model) of the module
# whose output is the position embedding added to the token embedding.
LEARNED_MODULES: Dict[str, Tuple[str, ...]] = {
    "gpt2": ("transformer.wpe",),
    "gpt_neo": ("transformer.wpe",),
    "gpt_bigcode": ("transformer.wpe",),
    "decision_transformer": ("transformer.wpe",),
    "imagegpt": ("transformer.wpe",),
    "opt": ("model.decoder.embed_positions",),
    "biogpt": ("biogpt.embed_positions",),
    "openai-gpt": ("transformer.positions_embed",),
    "xglm": ("model.embed_positions",),  # sinusoidal
    "mpt": ("transformer.wpe",),  # only when ALiBi is off (learned_pos_emb)
}
SINUSOIDAL_MODEL_TYPES = {"xglm"}

ROPE_MODEL_TYPES = {
    "llama", "mistral", "mixtral", "ministral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe",
    "gemma", "gemma2", "gemma3", "gemma3_text", "phi", "phi3", "phimoe", "gpt_neox", "gptj",
    "olmo", "olmo2", "olmo3", "olmoe", "stablelm", "starcoder2", "cohere", "cohere2", "granite",
    "granitemoe", "smollm3", "codegen", "persimmon", "helium", "nemotron", "exaone4", "glm",
    "glm4", "internlm2", "deepseek_v2", "deepseek_v3", "arcee", "apertus", "seed_oss",
    "falcon",  # falcon: rotary unless config.alibi (checked first)
}

ALIBI_MODEL_TYPES = {"bloom", "mpt", "falcon", "baichuan", "jais"}

# Names of modules that hold a learned absolute position embedding, for model types not
# in LEARNED_MODULES.
_LEARNED_NAME_HINTS = ("wpe", "embed_positions", "position_embeddings", "positions_embed", "pos_embed")
# Config attributes that describe rotary embeddings.
_ROPE_CONFIG_ATTRS = ("rope_parameters", "rope_theta", "rotary_dim", "rotary_pct", "rotary_emb_base", "partial_rotary_factor")


@dataclass
class PositionScheme:
    kind: str  # "learned", "sinusoidal", "rope", "alibi" or "unknown"
    model_type: str
    module_path: Optional[str] = None  # for learned / sinusoidal
    reason: str = ""
    notes: List[str] = field(default_factory=list)

    @property
    def supports_zero_pe(self) -> bool:
        return self.kind in ("learned", "sinusoidal", "rope")

    def refusal(self) -> str:
        if self.kind == "alibi":
            return (
                f"zero_pe is not defined for {self.model_type} (ALiBi: position is a distance bias "
                f"inside attention, with no embedding to remove); capture with --no-zero-pe"
            )
        return (
            f"zero_pe is not defined for {self.model_type} ({self.reason or 'unknown positional scheme'}); "
            f"capture with --no-zero-pe"
        )


def _text_config(config: Any) -> Any:
    getter = getattr(config, "get_text_config", None)
    if callable(getter):
        try:
            return getter()
        except Exception:  # pragma: no cover - odd configs
            return config
    return config


def _uses_alibi(config: Any, model_type: str) -> bool:
    if model_type == "bloom":
        return True
    if getattr(config, "alibi", False):
        return True
    attn = getattr(config, "attn_config", None)
    if attn is not None:
        value = attn.get("alibi") if isinstance(attn, dict) else getattr(attn, "alibi", None)
        if value:
            return True
    if getattr(config, "position_embedding_type", None) == "alibi":
        return True
    return False


def _get_module(model: Any, path: str) -> Optional[Any]:
    obj = model
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _find_learned_module(model: Any) -> List[str]:
    import torch.nn as nn

    found = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        if leaf in _LEARNED_NAME_HINTS and isinstance(module, nn.Embedding):
            found.append(name)
    return found


def _has_rope_config(config: Any) -> bool:
    for attr in _ROPE_CONFIG_ATTRS:
        if getattr(config, attr, None) is not None:
            return True
    return False


def detect_scheme(model: Any) -> PositionScheme:
    """How ``model`` (a transformers PreTrainedModel) encodes position."""
    config = _text_config(model.config)
    model_type = str(getattr(config, "model_type", None) or getattr(model.config, "model_type", "") or "unknown")

    if _uses_alibi(config, model_type):
        return PositionScheme("alibi", model_type, reason="ALiBi")
    if model_type in ALIBI_MODEL_TYPES - ROPE_MODEL_TYPES - set(LEARNED_MODULES):
        return PositionScheme("alibi", model_type, reason="ALiBi")

    if model_type in LEARNED_MODULES:
        kind = "sinusoidal" if model_type in SINUSOIDAL_MODEL_TYPES else "learned"
        for path in LEARNED_MODULES[model_type]:
            if _get_module(model, path) is not None:
                return PositionScheme(kind, model_type, module_path=path, reason=f"{kind} position embedding {path}")
        found = _find_learned_module(model)
        if len(found) == 1:
            return PositionScheme(kind, model_type, module_path=found[0], reason=f"{kind} position embedding {found[0]}")
        raise ValueError(
            f"{model_type}: expected a position-embedding module at {' or '.join(LEARNED_MODULES[model_type])} "
            f"but found {found or 'none'}; cannot remove positions (capture with --no-zero-pe)"
        )

    if model_type in ROPE_MODEL_TYPES:
        return PositionScheme("rope", model_type, reason="rotary embeddings (position_ids)")

    # Not in the tables: decide from the config and the module tree, conservatively.
    if _has_rope_config(config):
        return PositionScheme(
            "rope", model_type, reason="rotary embeddings (from the config)",
            notes=[f"{model_type} is not in the tested table; treated as rotary because its config has rope settings"],
        )
    found = _find_learned_module(model)
    if len(found) == 1:
        return PositionScheme(
            "learned", model_type, module_path=found[0], reason=f"learned position embedding {found[0]}",
            notes=[f"{model_type} is not in the tested table; zeroing the module {found[0]}"],
        )
    return PositionScheme("unknown", model_type, reason="unknown positional scheme")


def _accepts_position_ids(model: Any) -> bool:
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return True
    return "position_ids" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


@contextlib.contextmanager
def zero_pe_inputs(model: Any, scheme: PositionScheme, input_ids: Any) -> Iterator[Dict[str, Any]]:
    """Context in which ``model(input_ids, **extra)`` runs with positions removed.

    Yields the extra keyword arguments for the forward call. For learned embeddings a
    forward hook zeroes the position module's output (and checks, on exit, that it fired).
    """
    import torch

    if not scheme.supports_zero_pe:
        raise ValueError(scheme.refusal())
    if scheme.kind == "rope":
        if not _accepts_position_ids(model):
            raise ValueError(f"zero_pe: {scheme.model_type}'s forward takes no position_ids; capture with --no-zero-pe")
        yield {
            "position_ids": torch.zeros_like(input_ids),
            # explicit mask: stops transformers reading the constant position ids as packed sequences
            "attention_mask": torch.ones_like(input_ids),
        }
        return
    module = _get_module(model, scheme.module_path or "")
    if module is None:
        raise ValueError(f"zero_pe: module {scheme.module_path} not found in {scheme.model_type}")
    fired = []

    def hook(_module: Any, _inputs: Any, output: Any) -> Any:
        fired.append(True)
        if isinstance(output, torch.Tensor):
            return torch.zeros_like(output)
        if isinstance(output, tuple) and output and isinstance(output[0], torch.Tensor):
            return (torch.zeros_like(output[0]),) + tuple(output[1:])
        raise ValueError(f"zero_pe: unexpected output type {type(output).__name__} from {scheme.module_path}")

    handle = module.register_forward_hook(hook)
    try:
        yield {}
    finally:
        handle.remove()
    if not fired:
        raise RuntimeError(f"zero_pe: the position module {scheme.module_path} of {scheme.model_type} was never called")
