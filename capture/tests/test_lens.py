"""The TransformerLens backend: TL-native tiny models (standard and rotary positions) and
bridges over tiny Hugging Face models, cross-checked against the Hugging Face backend."""

import os
import shutil
import tempfile
import unittest
import warnings

import numpy as np

import support  # noqa: F401  (import path, threads)
import tiny_models
from support import PROMPTS, assert_position_zero_only_in_attention, by_id, full_ids, torch
from forkscope_capture import CaptureWarning, ZeroPEUnsupported, capture
from forkscope_capture.hf import HFBackend
from forkscope_capture.lens import LensBackend, load_lens_model



def lens_hidden(model, ids):
    """Residual stream straight from run_with_cache (layer 0 = resid_pre of block 0)."""
    names = ["blocks.0.hook_resid_pre"] + [f"blocks.{i}.hook_resid_post" for i in range(model.cfg.n_layers)]
    with torch.no_grad():
        logits, cache = model.run_with_cache(torch.tensor([ids]), names_filter=names)
    return torch.stack([cache[n][0] for n in names]).numpy(), logits[0]


class NativeMixin:
    kind = None

    @classmethod
    def setUpClass(cls):
        cls.model = tiny_models.make_lens(cls.kind)
        cls.backend = LensBackend(cls.model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            cls.writer = capture(cls.backend, PROMPTS, samples=2, tokens=6, forks=1, temperature=1.0, seed=5)

    def test_shapes_tree_positions(self):
        w, be = self.writer, self.backend
        L = be.n_layers + 1
        self.assertEqual(w.layers, list(range(L)))
        bs = by_id(w)
        self.assertTrue(any(b.id.endswith(".f1") for b in w.branches))
        for b in w.branches:
            n = len(b.tokens)
            self.assertEqual(b.states.shape, (L, n, be.hidden_size))
            self.assertEqual(b.variants["zero_pe"].shape, (L, n, be.hidden_size))
            self.assertEqual(len(b.logprobs), n)
            if b.parent is None:
                self.assertEqual(b.positions, list(range(n)))
                self.assertIsNone(b.logprobs[0])
            else:
                parent = bs[b.parent]
                self.assertEqual(b.positions[0], parent.positions[0] + b.fork_at)
                self.assertTrue(all(v <= 0 for v in b.logprobs))
        self.assertEqual("".join(bs["p1"].tokens[1:]), " " + PROMPTS[1])

    def test_states_and_logprobs_equal_full_forward(self):
        w = self.writer
        bs = by_id(w)
        for b in w.branches:
            full = full_ids(w, b.id)
            h, logits = lens_hidden(self.model, full)
            np.testing.assert_allclose(b.states, h[:, b.positions[0]:], atol=1e-5, err_msg=b.id)
            if b.parent is not None:
                parent = bs[b.parent]
                start = parent.positions[0]
                np.testing.assert_allclose(parent.states[:, : b.fork_at], h[:, start: start + b.fork_at], atol=1e-5)
                t = b.positions[0]
                ref = torch.log_softmax(logits[t - 1].double(), -1)[full[t]].item()
                self.assertAlmostEqual(b.logprobs[0], ref, places=4)


class TestNativeStandard(NativeMixin, unittest.TestCase):
    kind = "standard"

    def test_zero_pe_standard(self):
        self.assertEqual(self.backend.positional_encoding, "learned")
        W_E = self.model.original_model.tok_embed.weight.detach().numpy()
        for b in self.writer.branches:
            z0 = b.variants["zero_pe"][0]
            np.testing.assert_allclose(z0, W_E[b.extra["token_ids"]], atol=1e-6, err_msg=b.id)
            self.assertTrue((np.abs(b.states[0] - z0).max(-1) > 1e-3).all(), b.id)


class TestNativeRotary(NativeMixin, unittest.TestCase):
    kind = "rotary"

    def test_zero_pe_rotary(self):
        self.assertEqual(self.backend.positional_encoding, "rope")
        self.assertEqual(self.backend.rotary_method, "position_ids")
        assert_position_zero_only_in_attention(self, self.writer)

    def test_zero_pe_matches_identity_rotation_reference(self):
        rotary = self.model.original_model.rotary
        cos, sin = rotary.cos_cached.clone(), rotary.sin_cached.clone()
        try:
            rotary.cos_cached.fill_(1.0)
            rotary.sin_cached.fill_(0.0)
            for bid in ("p0", "p1.s1"):
                b = by_id(self.writer)[bid]
                ref, _ = self.backend.forward(full_ids(self.writer, bid), zero_pe=False)
                np.testing.assert_allclose(b.variants["zero_pe"], ref[:, b.positions[0]:], atol=1e-5, err_msg=bid)
        finally:
            rotary.cos_cached.copy_(cos)
            rotary.sin_cached.copy_(sin)

    def test_hook_method_refuses_where_hooks_do_not_fire(self):
        be = LensBackend(self.model, rotary_method="hooks")
        with self.assertRaisesRegex(RuntimeError, r"hook_rot_q/hook_rot_k fired 0 times.*rotary_method='position_ids'"):
            be.forward([2, 5, 6], zero_pe=True)


class TestBridgeOverHF(unittest.TestCase):
    """TransformerBridge.boot_transformers on saved tiny HF models (the CLI's --backend lens)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fc-lens-")
        cls.paths = {k: tiny_models.save_tiny(k, os.path.join(cls.tmp, k)) for k in ("llama", "gpt2", "bloom")}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def compare_with_hf(self, kind):
        lens = LensBackend(load_lens_model(self.paths[kind]))
        hf = HFBackend.from_pretrained(self.paths[kind])
        self.assertEqual(lens.model_name, kind)
        self.assertEqual(lens.positional_encoding, hf.positional_encoding)
        ids = hf.encode(PROMPTS[0])
        self.assertEqual(ids, lens.encode(PROMPTS[0]))
        self.assertEqual(lens.token_strings(ids), hf.token_strings(ids))
        for zero_pe in (False, True):
            a, la = lens.forward(ids, zero_pe=zero_pe)
            b, lb = hf.forward(ids, zero_pe=zero_pe)
            # Every layer, the last included: both are the residual stream before the final norm.
            np.testing.assert_allclose(a, b, atol=1e-5, err_msg=f"{kind} zero_pe={zero_pe}")
            np.testing.assert_allclose(la[1:], lb[1:], atol=1e-5)
        return lens, hf, ids

    def test_llama_bridge_matches_hf_and_both_rotary_methods_agree(self):
        lens, hf, ids = self.compare_with_hf("llama")
        self.assertEqual(lens.pe_type, "rotary")
        hooks = LensBackend(lens.model, rotary_method="hooks")
        a, _ = lens.forward(ids, zero_pe=True)
        b, _ = hooks.forward(ids, zero_pe=True)
        np.testing.assert_allclose(a, b, atol=1e-6)
        plain, _ = lens.forward(ids)
        self.assertGreater(np.abs(plain[-1] - a[-1]).max(), 1e-3)

    def test_gpt2_bridge_matches_hf(self):
        lens, _, ids = self.compare_with_hf("gpt2")
        self.assertEqual(lens.pe_type, "standard")

    def test_bridge_sampling_matches_hf(self):
        lens = LensBackend(load_lens_model(self.paths["llama"]))
        hf = HFBackend.from_pretrained(self.paths["llama"])
        wl = capture(lens, PROMPTS[:1], samples=2, tokens=5, seed=9, zero_pe=False)
        wh = capture(hf, PROMPTS[:1], samples=2, tokens=5, seed=9, zero_pe=False)
        self.assertEqual([b.extra["token_ids"] for b in wl.branches], [b.extra["token_ids"] for b in wh.branches])

    def test_alibi_refused(self):
        lens = LensBackend(load_lens_model(self.paths["bloom"]))
        self.assertEqual(lens.positional_encoding, "alibi")
        with self.assertRaisesRegex(ZeroPEUnsupported, r"zero_pe is not defined for bloom \(ALiBi.*--no-zero-pe"):
            capture(lens, PROMPTS[:1], samples=1, tokens=2)
        w = capture(lens, PROMPTS[:1], samples=1, tokens=2, zero_pe=False)
        self.assertEqual(w.positional_encoding, "alibi")


if __name__ == "__main__":
    unittest.main()
