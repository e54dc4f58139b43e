"""Tiny random models built in code, for the tests (nothing is downloaded).

- ``make_tokenizer()``: a word-level tokenizer (``tokenizers`` WordLevel model with a
  Metaspace pre-tokenizer, so every word carries a leading-space marker like
  SentencePiece's "▁"), ~60 words plus <bos>/<eos>/<unk>/<pad>/<sep>, wrapped in
  ``transformers.PreTrainedTokenizerFast``; it prepends <bos> and has a small chat template.
- ``make_hf(kind)``: a seeded random GPT-2 (learned positions), LLaMA (RoPE) or BLOOM
  (ALiBi) causal LM from a config.
- ``save_tiny(kind, path)``: ``save_pretrained`` of model + tokenizer, for the CLI.
- ``make_lens(kind)``: a TransformerLens 4.x ``TransformerBridge`` around a TL-native
  random model ("standard" or "rotary" positions) built with ``TransformerBridge.boot_native``.
"""

from __future__ import annotations

WORDS = (
    "the a an and or but of to in on at with for from by is was are were be "
    "cat dog bird fish tree house garden river sun moon rain wind stone road "
    "red green blue small big old new quiet loud warm cold "
    "runs sits sings grows falls walks sleeps eats sees "
    "today slowly again here there very "
    "user assistant hello"
).split()

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>", "<sep>"]

CHAT_TEMPLATE = (
    "{% for message in messages %}<bos> {{ message['role'] }} {{ message['content'] }}<sep>"
    "{% endfor %}{% if add_generation_prompt %} assistant{% endif %}"
)

SEED = 1234


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {}
    for tok in SPECIALS:
        vocab[tok] = len(vocab)
    for word in WORDS:
        vocab["\u2581" + word] = len(vocab)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", vocab["<bos>"])]
    )
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        pad_token="<pad>",
        additional_special_tokens=["<sep>"],
    )
    wrapped.chat_template = CHAT_TEMPLATE
    return wrapped


def _common_ids(tokenizer):
    # No pad_token_id for the model: LLaMA/BLOOM would zero that embedding row, and a
    # zero embedding (q = k = 0) makes a sampled <pad> token blind to RoPE at layer 1.
    return dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=None)


def make_hf(kind: str, tokenizer=None):
    """A seeded random tiny causal LM: kind is "gpt2", "llama" or "bloom"."""
    import torch
    import transformers

    tokenizer = tokenizer or make_tokenizer()
    vocab = len(tokenizer)
    ids = _common_ids(tokenizer)
    if kind == "gpt2":
        config = transformers.GPT2Config(
            vocab_size=vocab, n_layer=2, n_embd=32, n_head=4, n_positions=128, initializer_range=0.2, **ids
        )
        cls = transformers.GPT2LMHeadModel
    elif kind == "llama":
        config = transformers.LlamaConfig(
            vocab_size=vocab,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=128,
            initializer_range=0.2,
            **ids,
        )
        cls = transformers.LlamaForCausalLM
    elif kind == "bloom":
        config = transformers.BloomConfig(vocab_size=vocab, hidden_size=32, n_layer=2, n_head=4, initializer_range=0.2, **ids)
        cls = transformers.BloomForCausalLM
    else:
        raise ValueError(f"unknown tiny model kind {kind!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = cls(config)
    # initializer_range=0.2 (instead of 0.02) makes the random next-token distributions and
    # the positional effects less uniform, so the tests can tell things apart.
    model.eval()
    return model, tokenizer


def save_tiny(kind: str, path) -> str:
    """Save a tiny model and its tokenizer with save_pretrained; returns the path."""
    model, tokenizer = make_hf(kind)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    return str(path)


def make_lens(kind: str, tokenizer=None):
    """A TransformerLens TransformerBridge around a tiny TL-native random model.

    kind: "standard" (learned absolute positions, LayerNorm, GELU MLP) or "rotary"
    (RoPE, RMSNorm, gated SiLU MLP, grouped-query attention).
    """
    from transformer_lens import TransformerBridge
    from transformer_lens.config import TransformerBridgeConfig

    tokenizer = tokenizer or make_tokenizer()
    common = dict(
        d_model=32, n_layers=2, n_heads=4, d_head=8, n_ctx=128, d_vocab=len(tokenizer), seed=SEED
    )
    if kind == "standard":
        cfg = TransformerBridgeConfig(
            act_fn="gelu", normalization_type="LN", positional_embedding_type="standard", **common
        )
    elif kind == "rotary":
        cfg = TransformerBridgeConfig(
            act_fn="silu",
            normalization_type="RMS",
            positional_embedding_type="rotary",
            gated_mlp=True,
            n_key_value_heads=2,
            final_rms=True,
            **common,
        )
    else:
        raise ValueError(f"unknown tiny lens kind {kind!r}")
    # TL 4.3's setup_tokenizer re-loads a tokenizer from init_kwargs["name_or_path"] unless
    # init_kwargs["add_bos_token"] is true; an in-memory tokenizer has neither, so say that
    # it already adds BOS (it does: its post-processor prepends <bos>).
    tokenizer.init_kwargs.setdefault("name_or_path", "tiny-word-tokenizer")
    tokenizer.init_kwargs["add_bos_token"] = True
    bridge = TransformerBridge.boot_native(cfg, tokenizer=tokenizer, model_name=f"tiny-tl-{kind}")
    bridge.eval()
    return bridge
