"""Tokenizer helpers shared by the Hugging Face and TransformerLens backends.

They work on any ``transformers`` tokenizer and import nothing heavy themselves.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Set

__all__ = ["encode_prompt", "token_pieces", "eos_ids_of"]

_SPM_SPACE = "\u2581"  # SentencePiece's word-boundary marker "▁"


def encode_prompt(tokenizer: Any, prompt: str, chat: bool = False) -> List[int]:
    """Token ids of a prompt.

    Without ``chat`` the tokenizer's own special tokens are added (e.g. a BOS for LLaMA,
    nothing for GPT-2). With ``chat`` the prompt becomes one user message of the
    tokenizer's chat template, with the generation prompt (the assistant turn) appended.
    """
    if not isinstance(prompt, str):
        raise ValueError(f"a prompt must be a string, got {type(prompt).__name__}")
    if chat:
        if not getattr(tokenizer, "chat_template", None):
            name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
            raise ValueError(f"the tokenizer of {name} has no chat template; capture without --chat")
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        ids = tokenizer(prompt)["input_ids"]
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError(f"prompt {prompt[:40]!r} encodes to no tokens")
    return ids


def token_pieces(tokenizer: Any, ids: Sequence[int]) -> List[str]:
    """Each token decoded on its own, as text (e.g. " grow", "<|im_start|>").

    ``tokenizer.decode([id])`` gives this directly for byte-level BPE tokenizers (GPT-2,
    SmolLM, Qwen, LLaMA 3): partial UTF-8 characters come out as U+FFFD. SentencePiece-style
    tokenizers (LLaMA 2, Mistral, Gemma) drop the leading space of the first decoded token,
    so for a token spelled with "▁" the space is put back.
    """
    ids = [int(i) for i in ids]
    if not ids:
        return []
    special: Set[int] = set(int(i) for i in (getattr(tokenizer, "all_special_ids", None) or []))
    raw = tokenizer.convert_ids_to_tokens(ids)
    out: List[str] = []
    for i, r in zip(ids, raw):
        piece = tokenizer.decode([i], skip_special_tokens=False, clean_up_tokenization_spaces=False)
        if (
            i not in special
            and isinstance(r, str)
            and r.startswith(_SPM_SPACE)
            and not piece.startswith(" ")
        ):
            piece = " " + piece
        out.append(piece)
    return out


def eos_ids_of(tokenizer: Any, model_config: Any = None, generation_config: Any = None) -> List[int]:
    """End-of-sequence ids from the tokenizer and the model's (generation) config."""
    found: List[int] = []

    def add(v: Optional[Any]) -> None:
        if v is None:
            return
        if isinstance(v, (list, tuple, set)):
            for x in v:
                add(x)
            return
        try:
            iv = int(v)
        except (TypeError, ValueError):
            return
        if iv >= 0 and iv not in found:
            found.append(iv)

    add(getattr(tokenizer, "eos_token_id", None) if tokenizer is not None else None)
    add(getattr(generation_config, "eos_token_id", None) if generation_config is not None else None)
    add(getattr(model_config, "eos_token_id", None) if model_config is not None else None)
    return found
