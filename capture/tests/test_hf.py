"""The Hugging Face backend on tiny random GPT-2 (learned positions), LLaMA (RoPE),
OPT (learned, offset positions) and BLOOM (ALiBi) models built in code."""

import copy
import unittest
import warnings

import numpy as np

import support  # noqa: F401  (import path, threads)
import tiny_models
from support import PROMPTS, assert_position_zero_only_in_attention, by_id, full_ids, torch
from forkscope_capture import CaptureWarning, ZeroPEUnsupported, capture
from forkscope_capture.hf import HFBackend
from forkscope_capture.positions import detect_scheme



def blocks_of(model):
    return model.model.layers if hasattr(model, "model") else model.transformer.h


def hidden_states(model, ids, **kw):
    """The reference: transformers' hidden_states, but the last layer taken from the last
    block's own output (a hook on the block), i.e. before the final norm."""
    caught = []
    hook = blocks_of(model)[-1].register_forward_hook(
        lambda m, i, o: caught.append((o[0] if isinstance(o, tuple) else o).detach()))
    try:
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True, use_cache=False, **kw)
    finally:
        hook.remove()
    layers = list(out.hidden_states[:-1]) + [caught[0]]
    return torch.stack([h[0] for h in layers]).numpy(), out.logits[0]


class HFCaseMixin:
    kind = None

    @classmethod
    def setUpClass(cls):
        cls.model, cls.tokenizer = tiny_models.make_hf(cls.kind)
        cls.backend = HFBackend(cls.model, cls.tokenizer)
        with warnings.catch_warnings(record=True) as cls.capture_warnings:
            warnings.simplefilter("always")
            cls.writer = capture(cls.backend, PROMPTS, samples=2, tokens=6, forks=1, temperature=1.0, seed=3)

    def test_shapes_tree_positions(self):
        w, be = self.writer, self.backend
        L = be.n_layers + 1
        self.assertEqual(w.layers, list(range(L)))
        ids = [b.id for b in w.branches]
        self.assertEqual([i for i in ids if "." not in i], ["p0", "p1"])
        self.assertTrue({"p0.s1", "p0.s2", "p1.s1", "p1.s2"} <= set(ids))
        self.assertTrue(any(i.endswith(".f1") for i in ids), ids)
        bs = by_id(w)
        for b in w.branches:
            n = len(b.tokens)
            self.assertEqual(b.states.shape, (L, n, be.hidden_size), b.id)
            self.assertEqual(b.variants["zero_pe"].shape, (L, n, be.hidden_size), b.id)
            self.assertEqual(len(b.logprobs), n)
            self.assertEqual(len(b.extra["token_ids"]), n)
            self.assertEqual(b.tokens, be.token_strings(b.extra["token_ids"]))
            if b.parent is None:
                self.assertEqual(b.positions, list(range(n)))
                self.assertIsNone(b.logprobs[0])
                self.assertTrue(all(v <= 0 for v in b.logprobs[1:]))
            else:
                parent = bs[b.parent]
                self.assertEqual(b.positions[0], parent.positions[0] + b.fork_at, b.id)
                self.assertEqual(b.positions, list(range(b.positions[0], b.positions[0] + n)))
                self.assertTrue(all(v is not None and v <= 0 for v in b.logprobs), b.id)
                if parent.parent is None:
                    self.assertEqual(b.fork_at, len(parent.tokens), "samples fork after the whole prompt")
                else:
                    self.assertTrue(1 <= b.fork_at < len(parent.tokens))
                    self.assertEqual(n, len(parent.tokens) - b.fork_at)
        root = bs["p0"]
        self.assertEqual(root.tokens[0], "<bos>")
        self.assertEqual("".join(root.tokens[1:]), " " + PROMPTS[0], "pieces carry their leading space")
        self.assertEqual(w.positional_encoding, be.positional_encoding)

    def test_logprob_independent(self):
        w = self.writer
        child = by_id(w)["p1.s2"]
        full = full_ids(w, child.id)
        n_prefix = child.positions[0]
        _, logits = hidden_states(self.model, full)
        ref = torch.log_softmax(logits[n_prefix - 1].double(), -1)[full[n_prefix]].item()
        self.assertAlmostEqual(child.logprobs[0], ref, places=4)
        root = by_id(w)["p0"]
        _, logits = hidden_states(self.model, full_ids(w, "p0"))
        ref2 = torch.log_softmax(logits[2].double(), -1)[root.extra["token_ids"][3]].item()
        self.assertAlmostEqual(root.logprobs[3], ref2, places=4)

    def test_states_equal_full_forward_and_prefix_stored_once(self):
        w = self.writer
        bs = by_id(w)
        for b in w.branches:
            full = full_ids(w, b.id)
            h, _ = hidden_states(self.model, full)
            np.testing.assert_allclose(b.states, h[:, b.positions[0]:], atol=1e-5, err_msg=b.id)
            if b.parent is not None:
                # the parent's stored tokens before the fork are the prefix of this forward
                parent = bs[b.parent]
                k = b.fork_at
                start = parent.positions[0]
                np.testing.assert_allclose(parent.states[:, :k], h[:, start: start + k], atol=1e-5, err_msg=b.id)

    def test_deterministic(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            w2 = capture(self.backend, PROMPTS, samples=2, tokens=6, forks=1, temperature=1.0, seed=3)
        self.assertEqual([(b.id, b.extra["token_ids"]) for b in w2.branches],
                         [(b.id, b.extra["token_ids"]) for b in self.writer.branches])
        w3 = capture(self.backend, PROMPTS, samples=2, tokens=6, forks=1, temperature=1.0, seed=4, zero_pe=False)
        self.assertNotEqual([b.extra["token_ids"] for b in w3.branches],
                            [b.extra["token_ids"] for b in self.writer.branches])

    def test_layer_subset(self):
        w = capture(self.backend, PROMPTS[:1], samples=1, tokens=3, seed=3, layers=[0, self.backend.n_layers])
        self.assertEqual(w.layers, [0, self.backend.n_layers])
        for b in w.branches:
            h, _ = hidden_states(self.model, full_ids(w, b.id))
            np.testing.assert_allclose(b.states, h[[0, -1], b.positions[0]:], atol=1e-5)
            self.assertEqual(b.variants["zero_pe"].shape[0], 2)


class TestGPT2(HFCaseMixin, unittest.TestCase):
    kind = "gpt2"

    def test_scheme(self):
        self.assertEqual(self.backend.positional_encoding, "learned")
        self.assertEqual(self.backend.scheme.module_path, "transformer.wpe")
        self.assertEqual(self.backend.max_positions, 128)

    def test_zero_pe_is_token_embedding(self):
        wte = self.model.transformer.wte.weight.detach().numpy()
        for b in self.writer.branches:
            ids = b.extra["token_ids"]
            z0 = b.variants["zero_pe"][0]
            np.testing.assert_allclose(z0, wte[ids], atol=1e-6, err_msg=b.id)
            per_token = np.abs(b.states[0] - z0).max(axis=-1)
            self.assertTrue((per_token > 1e-3).all(), f"{b.id}: layer 0 must differ at every token {per_token}")
            # and the later layers move too
            self.assertTrue((np.abs(b.states[-1] - b.variants["zero_pe"][-1]).max(axis=-1) > 1e-4).all())


class TestLlama(HFCaseMixin, unittest.TestCase):
    kind = "llama"

    def test_scheme(self):
        self.assertEqual(self.backend.positional_encoding, "rope")
        self.assertEqual(self.backend.scheme.kind, "rope")

    def test_zero_pe_rope(self):
        assert_position_zero_only_in_attention(self, self.writer)

    def test_zero_pe_matches_identity_rotation_reference(self):
        # Independent reference: the same model with inv_freq = 0 rotates nothing at any
        # position (cos = 1, sin = 0), run the ordinary way.
        ref_model = copy.deepcopy(self.model)
        rot = ref_model.model.rotary_emb
        for name in ("inv_freq", "original_inv_freq"):
            if hasattr(rot, name):
                getattr(rot, name).zero_()
        for bid in ("p0", "p0.s1", "p1.s2"):
            b = by_id(self.writer)[bid]
            full = full_ids(self.writer, bid)
            h, _ = hidden_states(ref_model, full)
            np.testing.assert_allclose(b.variants["zero_pe"], h[:, b.positions[0]:], atol=1e-5, err_msg=bid)

    def test_transformers_packed_sequence_trap(self):
        """Documents why zero_pe passes an explicit attention mask: transformers (5.x) reads
        constant position ids without a mask as packed one-token sequences."""
        try:
            from transformers.masking_utils import find_packed_sequence_indices  # noqa: F401
        except ImportError:
            self.skipTest("this transformers has no packed-sequence detection")
        ids = full_ids(self.writer, "p0")
        zeros = torch.zeros((1, len(ids)), dtype=torch.long)
        naive, _ = hidden_states(self.model, ids, position_ids=zeros)
        alone = np.stack([hidden_states(self.model, [i])[0][:, 0] for i in ids], axis=1)
        np.testing.assert_allclose(naive, alone, atol=1e-5, err_msg="no mask: every token attends only to itself")
        ours, _ = self.backend.forward(ids, zero_pe=True)
        self.assertGreater(np.abs(ours[-1] - alone[-1]).max(), 1e-3)

    def test_every_layer_is_the_residual_stream(self):
        # Each block's own output, caught by a hook on the block: the last layer is the last
        # block's output, before the final norm (not transformers' normed hidden_states[-1]).
        captured = []
        hooks = [layer.register_forward_hook(lambda m, i, o: captured.append((o[0] if isinstance(o, tuple) else o).detach()))
                 for layer in blocks_of(self.model)]
        try:
            hidden, _ = self.backend.forward([2, 5, 6, 7])
        finally:
            for h in hooks:
                h.remove()
        self.assertFalse(self.backend.last_layer_normed)
        self.assertEqual(len(captured), len(blocks_of(self.model)))
        for i, block_out in enumerate(captured, start=1):
            np.testing.assert_allclose(hidden[i], block_out[0].numpy(), atol=1e-6, err_msg=f"layer {i}")
        norm = self.model.model.norm if hasattr(self.model, "model") else self.model.transformer.ln_f
        with torch.no_grad():
            normed = norm(captured[-1])[0].numpy()
        self.assertGreater(np.abs(hidden[-1] - normed).max(), 1e-2)


class TestOtherFamilies(unittest.TestCase):
    def test_bloom_alibi_refused(self):
        model, tok = tiny_models.make_hf("bloom")
        be = HFBackend(model, tok)
        self.assertEqual(be.positional_encoding, "alibi")
        with self.assertRaisesRegex(ZeroPEUnsupported, r"zero_pe is not defined for bloom \(ALiBi.*capture with --no-zero-pe"):
            capture(be, PROMPTS[:1], samples=1, tokens=2)
        with self.assertRaisesRegex(ZeroPEUnsupported, "ALiBi"):
            be.forward([2, 5], zero_pe=True)
        w = capture(be, PROMPTS[:1], samples=1, tokens=2, zero_pe=False)
        self.assertEqual(len(w), 2)
        self.assertEqual(w.variant_names, ())

    def test_opt_learned_offset_positions(self):
        import transformers

        tok = tiny_models.make_tokenizer()
        cfg = transformers.OPTConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, ffn_dim=64,
                                     num_attention_heads=4, max_position_embeddings=64, word_embed_proj_dim=32,
                                     init_std=0.2, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                                     eos_token_id=tok.eos_token_id)
        torch.manual_seed(0)
        model = transformers.OPTForCausalLM(cfg).eval()
        be = HFBackend(model, tok)
        self.assertEqual(be.scheme.module_path, "model.decoder.embed_positions")
        ids = be.encode("the cat sits")
        h, _ = be.forward(ids)
        z, _ = be.forward(ids, zero_pe=True)
        emb = model.model.decoder.embed_tokens.weight.detach().numpy()[ids]
        np.testing.assert_allclose(z[0], emb, atol=1e-6)
        self.assertTrue((np.abs(h[0] - z[0]).max(-1) > 1e-3).all())

    def test_detect_scheme_from_config(self):
        import transformers

        class Stub(torch.nn.Module):
            def __init__(self, config):
                super().__init__()
                self.config = config

        self.assertEqual(detect_scheme(Stub(transformers.FalconConfig(alibi=True))).kind, "alibi")
        self.assertEqual(detect_scheme(Stub(transformers.FalconConfig(alibi=False))).kind, "rope")
        self.assertEqual(detect_scheme(Stub(transformers.MptConfig())).kind, "alibi")
        self.assertEqual(detect_scheme(Stub(transformers.Qwen2Config())).kind, "rope")
        unknown = transformers.PretrainedConfig()
        unknown.model_type = "mystery"
        s = detect_scheme(Stub(unknown))
        self.assertEqual(s.kind, "unknown")
        self.assertIn("zero_pe is not defined for mystery", s.refusal())
        with self.assertRaisesRegex(ValueError, r"gpt2: expected a position-embedding module at transformer.wpe"):
            detect_scheme(Stub(transformers.GPT2Config()))

    def test_chat_template(self):
        model, tok = tiny_models.make_hf("gpt2")
        be = HFBackend(model, tok)
        pieces = be.token_strings(be.encode("hello cat", chat=True))
        self.assertEqual(pieces, ["<bos>", " user", " hello", " cat", "<sep>", " assistant"])
        tok2 = tiny_models.make_tokenizer()
        tok2.chat_template = None
        with self.assertRaisesRegex(ValueError, "no chat template"):
            HFBackend(model, tok2).encode("x", chat=True)


if __name__ == "__main__":
    unittest.main()
