"""TransformerLens backend.

TransformerLens 4 removed ``HookedTransformer``; its replacement is ``TransformerBridge``
(``TransformerBridge.boot_transformers(name_or_path)`` for a Hugging Face model,
``TransformerBridge.boot_native(config)`` for a TL-native one). This backend works with a
``TransformerBridge`` (tested) and, duck-typed through the same hook API, with a legacy
``HookedTransformer`` from TransformerLens 2/3 (tested with TL 3.9 in a separate
environment: ``capture/scripts/test-legacy-lens``).

Layer 0 is ``blocks.0.hook_resid_pre``; layer ``i`` is ``blocks.{i-1}.hook_resid_post``
(the last one is before ``ln_final``).

zero_pe by ``cfg.positional_embedding_type``:

- "standard" / "shortformer": ``hook_pos_embed`` returns zeros;
- "rotary": q and k are left un-rotated (the rotation at position 0 is the identity).
  For a ``TransformerBridge`` every position id is set to 0 (``position_ids`` zeros with an
  explicit all-ones attention mask), which the TL-native and the Hugging Face models both
  honour. For a legacy ``HookedTransformer`` (``rotary_method="identity"``, its default) each
  attention module's ``apply_rotary`` is replaced by the identity for the run, so q and k
  reach ``hook_rot_q`` / ``hook_rot_k`` exactly as they would at position 0, after any q/k
  norm or clipping. Alternatively (``rotary_method="hooks"``) the outputs of ``attn.hook_q``
  / ``attn.hook_k`` are stored and returned from ``attn.hook_rot_q`` / ``attn.hook_rot_k``;
  that is only right when nothing happens between the two hooks, which is false for
  HookedTransformers with ``use_qk_norm`` (Qwen 3, Gemma 3), OLMo 2's q/k norm or
  ``clip_qkv``: the hook method checks at position 0 (where the rotation is the identity)
  that ``hook_rot_q`` receives what ``hook_q`` returned and raises otherwise. In TL 4.3
  those two hook points fire for Hugging Face-backed bridges (e.g. LLaMA) but NOT for
  TL-native models, whose rotation happens inside the native attention module; the hook
  method checks that they fired and raises otherwise;
- "alibi" and anything else: refused.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .sampling import Continuations
from .tokens import encode_prompt, eos_ids_of, token_pieces
from .tree import Backend, ZeroPEUnsupported

__all__ = ["LensBackend", "load_lens_model"]

_PE_NAMES = {"standard": "learned", "shortformer": "learned", "rotary": "rope", "alibi": "alibi"}


def _is_bridge(model: Any) -> bool:
    try:
        from transformer_lens.model_bridge import TransformerBridge
    except Exception:  # pragma: no cover - TL < 4
        return False
    return isinstance(model, TransformerBridge)


def load_lens_model(name_or_path: str, device: str = "cpu", dtype: Any = torch.float32) -> Any:
    """A TransformerLens model for a Hugging Face name or local folder.

    TL >= 4: ``TransformerBridge.boot_transformers`` (raw Hugging Face weights, no LayerNorm
    folding); TL < 4: ``HookedTransformer.from_pretrained``.
    """
    try:
        from transformer_lens.model_bridge import TransformerBridge
    except ImportError:
        TransformerBridge = None  # type: ignore[assignment]
    if TransformerBridge is not None:
        model = TransformerBridge.boot_transformers(name_or_path, device=device, dtype=dtype)
    else:  # pragma: no cover - legacy TransformerLens
        from transformer_lens import HookedTransformer

        model = HookedTransformer.from_pretrained(name_or_path, device=device, dtype=dtype)
    model.eval()
    return model


class LensBackend(Backend):
    """Wraps a TransformerLens model (``TransformerBridge`` or legacy ``HookedTransformer``).

    ``tokenizer`` defaults to ``model.tokenizer``. ``rotary_method``: "auto" (position ids
    for a bridge, "identity" otherwise), "position_ids" (bridges), "identity" (legacy
    HookedTransformer: ``apply_rotary`` replaced by the identity) or "hooks".
    """

    def __init__(self, model: Any, tokenizer: Any = None, model_name: Optional[str] = None,
                 model_version: Optional[str] = None, rotary_method: str = "auto") -> None:
        self.model = model
        self.model.eval()
        self.cfg = model.cfg
        self.tokenizer = tokenizer if tokenizer is not None else getattr(model, "tokenizer", None)
        self.n_layers = int(self.cfg.n_layers)
        self.hidden_size = int(self.cfg.d_model)
        name = model_name or getattr(self.cfg, "model_name", None) or type(model).__name__
        name = str(name).rstrip("/\\")
        self.model_name = os.path.basename(name) if model_name is None and os.path.isdir(name) else name
        self.model_version = model_version
        self.pe_type = str(getattr(self.cfg, "positional_embedding_type", None) or "none").lower()
        self.positional_encoding = _PE_NAMES.get(self.pe_type, self.pe_type if self.pe_type != "none" else None)
        n_ctx = getattr(self.cfg, "n_ctx", None)
        self.max_positions = int(n_ctx) if isinstance(n_ctx, int) and n_ctx > 0 else None
        d_vocab = getattr(self.cfg, "d_vocab", None)
        self.vocab_size = int(d_vocab) if isinstance(d_vocab, int) and d_vocab > 0 else None
        self.eos_ids = eos_ids_of(self.tokenizer)
        if rotary_method not in ("auto", "position_ids", "identity", "hooks"):
            raise ValueError(
                f"rotary_method must be 'auto', 'position_ids', 'identity' or 'hooks', got {rotary_method!r}"
            )
        self.is_bridge = _is_bridge(model)
        if rotary_method == "auto":
            rotary_method = "position_ids" if self.is_bridge else "identity"
        self.rotary_method = rotary_method
        self._resid_names = ["blocks.0.hook_resid_pre"] + [f"blocks.{i}.hook_resid_post" for i in range(self.n_layers)]
        self._zero_pe_checked = False

    @property
    def device(self) -> torch.device:
        dev = getattr(self.cfg, "device", None)
        if dev is None:
            try:
                return next(self.model.parameters()).device
            except StopIteration:  # pragma: no cover
                return torch.device("cpu")
        return torch.device(dev)

    # -- text ---------------------------------------------------------------------------

    def _tok(self) -> Any:
        if self.tokenizer is None:
            raise ValueError("this TransformerLens model has no tokenizer; pass tokenizer=... to LensBackend")
        return self.tokenizer

    def encode(self, prompt: str, chat: bool = False) -> List[int]:
        return encode_prompt(self._tok(), prompt, chat=chat)

    def token_strings(self, ids: Sequence[int]) -> List[str]:
        return token_pieces(self._tok(), ids)

    # -- zero_pe ----------------------------------------------------------------------------

    def check_zero_pe(self) -> None:
        if self.pe_type in ("standard", "shortformer", "rotary"):
            if not self._zero_pe_checked:
                self.probe_zero_pe(f"{self.model_name} ({self.pe_type} positions)")
                self._zero_pe_checked = True
            return
        if self.pe_type == "alibi":
            raise ZeroPEUnsupported(
                f"zero_pe is not defined for {self.model_name} (ALiBi: position is a distance bias inside "
                f"attention, with no embedding to remove); capture with --no-zero-pe"
            )
        raise ZeroPEUnsupported(
            f"zero_pe is not defined for {self.model_name} (positional_embedding_type {self.pe_type!r}); "
            f"capture with --no-zero-pe"
        )

    def _zero_pe_setup(
        self, tokens: torch.Tensor
    ) -> Tuple[List[Tuple[str, Callable]], Dict[str, Any], Callable[[], None], Callable[[], Any]]:
        """(forward hooks, extra forward kwargs, check-after-run, context around the run) for a
        zero_pe run."""
        fired: Dict[str, int] = {}

        def count(key: str) -> None:
            fired[key] = fired.get(key, 0) + 1

        if self.pe_type in ("standard", "shortformer"):
            def zero_pos(x: torch.Tensor, hook: Any = None) -> torch.Tensor:
                count("pos")
                return torch.zeros_like(x)

            def check() -> None:
                if not fired.get("pos"):
                    raise RuntimeError(f"zero_pe: hook_pos_embed never fired in {self.model_name}")

            return [("hook_pos_embed", zero_pos)], {}, check, contextlib.nullcontext

        if self.pe_type == "rotary":
            if self.rotary_method == "position_ids":
                extra = {"position_ids": torch.zeros_like(tokens), "attention_mask": torch.ones_like(tokens)}
                return [], extra, lambda: None, contextlib.nullcontext
            if self.rotary_method == "identity":
                return self._identity_rotary_setup(count, fired)
            store: Dict[Tuple[int, str], torch.Tensor] = {}
            hooks: List[Tuple[str, Callable]] = []
            for i in range(self.n_layers):
                for qk in ("q", "k"):
                    key = (i, qk)

                    def save(x: torch.Tensor, hook: Any = None, key: Tuple[int, str] = key) -> torch.Tensor:
                        store[key] = x
                        return x

                    def unrotate(x: torch.Tensor, hook: Any = None, key: Tuple[int, str] = key) -> torch.Tensor:
                        if key not in store:
                            raise RuntimeError(f"zero_pe: blocks.{key[0]}.attn.hook_{key[1]} did not fire before hook_rot_{key[1]}")
                        src = store.pop(key)
                        if src.shape != x.shape:
                            raise RuntimeError(
                                f"zero_pe: hook_{key[1]} shape {tuple(src.shape)} != hook_rot_{key[1]} shape {tuple(x.shape)} "
                                f"in block {key[0]}; use rotary_method='position_ids'"
                            )
                        # Position 0's rotation is the identity, so there hook_rot_* must receive
                        # exactly what hook_* returned; if not, the model transforms q/k in
                        # between (q/k norm, clipping, ...) and hook_*'s output is not "q/k
                        # un-rotated".
                        a, b = src[:, :1].float(), x[:, :1].float()
                        if not torch.allclose(a, b, rtol=1e-4, atol=1e-5 * (1.0 + float(b.abs().max()))):
                            raise RuntimeError(
                                f"zero_pe: blocks.{key[0]}.attn.hook_rot_{key[1]} at position 0 differs from "
                                f"hook_{key[1]} (max {float((a - b).abs().max()):.3g}): the model transforms "
                                f"{key[1]} between the two hooks (e.g. q/k norm or clipping), so rotary_method='hooks' "
                                f"would be wrong; use rotary_method='identity' (HookedTransformer) or 'position_ids' (bridge)"
                            )
                        count("rot")
                        return src.to(x.dtype)

                    hooks.append((f"blocks.{i}.attn.hook_{qk}", save))
                    hooks.append((f"blocks.{i}.attn.hook_rot_{qk}", unrotate))

            def check() -> None:
                if fired.get("rot", 0) != 2 * self.n_layers:
                    raise RuntimeError(
                        f"zero_pe: hook_rot_q/hook_rot_k fired {fired.get('rot', 0)} times, expected {2 * self.n_layers} "
                        f"(this model rotates q/k without those hooks); use rotary_method='position_ids'"
                    )

            return hooks, {}, check, contextlib.nullcontext
        raise ZeroPEUnsupported(f"zero_pe is not defined for positional_embedding_type {self.pe_type!r}")

    def _identity_rotary_setup(self, count: Callable[[str], None], fired: Dict[str, int]) -> Tuple[
        List[Tuple[str, Callable]], Dict[str, Any], Callable[[], None], Callable[[], Any]
    ]:
        """Legacy HookedTransformer: every attention module's ``apply_rotary`` applies position
        0's rotation -- the identity -- to every token during the run (an instance attribute
        shadowing the method, removed afterwards)."""
        blocks = getattr(self.model, "blocks", None)
        attns = [getattr(block, "attn", None) for block in blocks] if blocks is not None else []
        if len(attns) != self.n_layers or not all(callable(getattr(a, "apply_rotary", None)) for a in attns):
            raise RuntimeError(
                f"zero_pe: rotary_method='identity' needs a HookedTransformer whose blocks[i].attn have "
                f"apply_rotary ({type(self.model).__name__} does not); use rotary_method='position_ids' or 'hooks'"
            )

        def at_position_zero(attn: Any) -> Callable[..., torch.Tensor]:
            # The rotation of position 0: the identity (cos = 1, sin = 0), unless the module's
            # table scales row 0 (TL's YaRN attention factor multiplies cos and sin), which is
            # then kept, as position ids 0 would keep it.
            cos0 = getattr(attn, "rotary_cos", None)
            sin0 = getattr(attn, "rotary_sin", None)
            dim = getattr(self.cfg, "rotary_dim", None)
            plain = True
            if isinstance(cos0, torch.Tensor) and isinstance(sin0, torch.Tensor) and isinstance(dim, int):
                cos0, sin0 = cos0[0].detach().clone(), sin0[0].detach().clone()
                plain = bool((cos0 == 1).all() and (sin0 == 0).all())

            def rotary(x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
                count("rot")
                if plain:
                    return x
                x_rot = x[..., :dim]
                turned = x_rot * cos0.to(x) + attn.rotate_every_two(x_rot) * sin0.to(x)
                return torch.cat([turned, x[..., dim:]], dim=-1)

            return rotary

        @contextlib.contextmanager
        def patched() -> Any:
            shadowed = [a for a in attns if "apply_rotary" in vars(a)]
            if shadowed:
                raise RuntimeError("zero_pe: apply_rotary is already overridden on an attention module")
            try:
                for a in attns:
                    object.__setattr__(a, "apply_rotary", at_position_zero(a))
                yield
            finally:
                for a in attns:
                    vars(a).pop("apply_rotary", None)

        def check() -> None:
            if fired.get("rot", 0) != 2 * self.n_layers:
                raise RuntimeError(
                    f"zero_pe: apply_rotary was called {fired.get('rot', 0)} times, expected {2 * self.n_layers} "
                    f"(q and k in every block); use rotary_method='hooks'"
                )

        return [], {}, check, patched

    # -- running ------------------------------------------------------------------------

    def _legacy_mask(self, tokens: torch.Tensor) -> Dict[str, Any]:
        """An explicit all-ones ``attention_mask`` for a legacy HookedTransformer whose tokenizer
        pads on the left: without one, TL 2/3 derives a mask from the tokens and treats leading
        pad-token ids as padding (masked, and later positions shifted), so a sequence that
        starts with the pad id would not be run as given."""
        if self.is_bridge:
            return {}
        tok = getattr(self.model, "tokenizer", None)
        if tok is not None and getattr(tok, "padding_side", None) == "left":
            return {"attention_mask": torch.ones_like(tokens)}
        return {}

    def _run(self, ids: Sequence[int], zero_pe: bool) -> Tuple[np.ndarray, np.ndarray]:
        tokens = torch.tensor([list(ids)], dtype=torch.long, device=self.device)
        hooks: List[Tuple[str, Callable]] = []
        extra: Dict[str, Any] = self._legacy_mask(tokens)
        check: Callable[[], None] = lambda: None
        context: Callable[[], Any] = contextlib.nullcontext
        if zero_pe:
            hooks, zextra, check, context = self._zero_pe_setup(tokens)
            extra.update(zextra)
        with torch.no_grad(), context():
            with self.model.hooks(fwd_hooks=hooks):
                logits, cache = self.model.run_with_cache(
                    tokens, names_filter=list(self._resid_names), return_type="logits", **extra
                )
        check()
        hidden = torch.stack([cache[name][0] for name in self._resid_names]).float().cpu().numpy()
        logits = logits[0].float()
        lp = np.full(len(ids), np.nan, dtype=np.float64)
        if len(ids) > 1:
            logp = torch.log_softmax(logits[:-1].double(), dim=-1)
            lp[1:] = logp.gather(-1, tokens[0, 1:].unsqueeze(-1)).squeeze(-1).cpu().numpy()
        return hidden, lp

    def forward(self, ids: Sequence[int], zero_pe: bool = False) -> Tuple[np.ndarray, np.ndarray]:
        if not ids:
            raise ValueError("forward needs at least one token")
        return self._run(ids, zero_pe)

    def sample(self, prefix_ids: Sequence[int], n: int, max_new_tokens: int, temperature: float,
               top_p: float, rng: np.random.Generator) -> List[List[int]]:
        """Batched sampling, full forward per step (no KV cache); tokens chosen from ``rng``."""
        if n <= 0:
            return []
        grown = Continuations(n, self.eos_ids)
        tokens = torch.tensor([list(prefix_ids)] * n, dtype=torch.long, device=self.device)
        with torch.no_grad():
            for step in range(max_new_tokens):
                logits = self.model(tokens, return_type="logits", **self._legacy_mask(tokens))[:, -1, :].double().cpu().numpy()
                if grown.step(logits, temperature, top_p, rng) or step == max_new_tokens - 1:
                    break
                tokens = torch.cat([tokens, torch.tensor(grown.last_tokens(), dtype=torch.long, device=self.device)], dim=1)
        return grown.result()
