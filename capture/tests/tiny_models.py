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


# -- a tiny GGUF file (llama architecture, byte-level BPE tokenizer) -----------------------

GGUF_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
GGUF_MERGES = ["Ġ t", "h e", "Ġt he", "Ġ c", "a t", "Ġc at"]
GGUF_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def gguf_vocab():
    """The tiny GGUF tokenizer's tokens: 3 control tokens, the 256 byte-level characters of
    GPT-2's alphabet, then one token per merge ("Ġt", "he", "Ġthe", "Ġc", "at", "Ġcat")."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    tokens = list(GGUF_SPECIALS) + [bytes_to_unicode()[b] for b in range(256)]
    tokens += [m.replace(" ", "") for m in GGUF_MERGES]
    types = [3] * len(GGUF_SPECIALS) + [1] * (len(tokens) - len(GGUF_SPECIALS))  # 3 = control, 1 = normal
    return tokens, types


def _llama_cpp_permute(w, n_head):
    """llama.cpp's convert_hf_to_gguf permutation of q/k rows (transformers reverses it on load)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def save_tiny_gguf(path, qtype: str = "Q8_0", name: str = "tiny-llama"):
    """Write a tiny random LLaMA (2 blocks, hidden 32, 4 heads / 2 KV heads, RoPE) with a
    byte-level BPE tokenizer and a ChatML chat template as ONE .gguf file, the way llama.cpp's
    converter does (q/k rows permuted, embeddings tied: no output.weight).

    ``qtype``: "F32", or "Q8_0" for the 2-D block weights (the embedding and norms stay F32).
    Returns ``(path, reference)``: ``reference`` is the transformers LlamaForCausalLM holding the
    weights the file decodes to (Q8_0 round trip applied), for comparisons."""
    import gguf
    import numpy as np
    import torch
    import transformers

    tokens, types = gguf_vocab()
    eos = tokens.index("<|im_end|>")
    config = transformers.LlamaConfig(
        vocab_size=len(tokens), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-6, initializer_range=0.2,
        rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=tokens.index("<|im_start|>"), eos_token_id=eos,
        pad_token_id=None,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = transformers.LlamaForCausalLM(config)
        for n, p in model.named_parameters():  # norms away from 1 so that they matter
            if p.ndim == 1:
                p.data = 1.0 + 0.2 * torch.randn_like(p)
    model.eval()
    quant = {"F32": gguf.GGMLQuantizationType.F32, "Q8_0": gguf.GGMLQuantizationType.Q8_0}[qtype]
    ftype = {"F32": gguf.LlamaFileType.ALL_F32, "Q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[qtype]

    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(name)
    w.add_file_type(int(ftype))
    w.add_context_length(128)
    w.add_embedding_length(32)
    w.add_block_count(2)
    w.add_feed_forward_length(64)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    w.add_rope_dimension_count(8)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(GGUF_MERGES)
    w.add_bos_token_id(config.bos_token_id)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)
    w.add_chat_template(GGUF_CHAT_TEMPLATE)

    sd = {k: v.detach().numpy().astype(np.float32) for k, v in model.state_dict().items()}

    def put(gname, hf_name, permute_heads=None):
        arr = sd[hf_name]
        if arr.ndim == 2 and quant != gguf.GGMLQuantizationType.F32 and gname != "token_embd.weight":
            stored = _llama_cpp_permute(arr, permute_heads) if permute_heads else arr
            q = gguf.quants.quantize(stored, quant)
            back = gguf.quants.dequantize(q, quant).reshape(stored.shape)
            if permute_heads:  # undo the permutation for the reference
                n = permute_heads
                back = back.reshape(n, back.shape[0] // n // 2, 2, *back.shape[1:]).swapaxes(2, 1).reshape(back.shape)
            sd[hf_name] = back.astype(np.float32)
            w.add_tensor(gname, q, raw_dtype=quant)
        else:
            w.add_tensor(gname, _llama_cpp_permute(arr, permute_heads) if permute_heads else arr)

    put("token_embd.weight", "model.embed_tokens.weight")
    for i in range(2):
        pre = f"model.layers.{i}."
        put(f"blk.{i}.attn_norm.weight", pre + "input_layernorm.weight")
        put(f"blk.{i}.attn_q.weight", pre + "self_attn.q_proj.weight", permute_heads=4)
        put(f"blk.{i}.attn_k.weight", pre + "self_attn.k_proj.weight", permute_heads=2)
        put(f"blk.{i}.attn_v.weight", pre + "self_attn.v_proj.weight")
        put(f"blk.{i}.attn_output.weight", pre + "self_attn.o_proj.weight")
        put(f"blk.{i}.ffn_norm.weight", pre + "post_attention_layernorm.weight")
        put(f"blk.{i}.ffn_gate.weight", pre + "mlp.gate_proj.weight")
        put(f"blk.{i}.ffn_up.weight", pre + "mlp.up_proj.weight")
        put(f"blk.{i}.ffn_down.weight", pre + "mlp.down_proj.weight")
    put("output_norm.weight", "model.norm.weight")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()}, strict=False)
    return str(path), model
