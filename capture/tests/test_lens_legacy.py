"""The TransformerLens backend over a legacy (TransformerLens 2/3) ``HookedTransformer``.

Tiny random models built from ``HookedTransformerConfig`` (nothing downloaded), with the
word-level tokenizer of ``tiny_models``: "standard", "shortformer" and "rotary" positions
(plus a rotary one with q/k norm), and an "alibi" one, whose zero_pe is refused.

TransformerLens 4 removed ``HookedTransformer``, so in an environment with TL >= 4 this whole
module is reported as skipped. Run it with ``capture/scripts/test-legacy-lens`` (a venv with
transformer-lens 3.9 on top of the system packages); the script sets
``FORKSCOPE_REQUIRE_LEGACY_LENS=1``, which turns the skip into an error.
"""

import os
import unittest
import warnings

import numpy as np

import support  # noqa: F401  (import path, threads)
import tiny_models
from support import PROMPTS, assert_position_zero_only_in_attention, by_id, full_ids, torch
from forkscope_capture import CaptureWarning, ZeroPEUnsupported, capture
from forkscope_capture.lens import LensBackend

try:
    from transformer_lens import HookedTransformer, HookedTransformerConfig
except ImportError as e:  # TransformerLens >= 4
    HookedTransformer = HookedTransformerConfig = None
    LEGACY_IMPORT_ERROR = f"{type(e).__name__}: {e}"
else:
    LEGACY_IMPORT_ERROR = None

SKIP_REASON = (
    "legacy TransformerLens HookedTransformer is not importable here (TransformerLens >= 4 removed it); "
    "run capture/scripts/test-legacy-lens to test LensBackend over a TL 3.9 HookedTransformer"
)

ATOL = 1e-5
YARN_FACTOR = 1.25


# -- helpers ----------------------------------------------------------------------------------


def legacy_tokenizer():
    tok = tiny_models.make_tokenizer()
    # As for TL 4 in tiny_models.make_lens: TL's set_tokenizer re-loads a tokenizer from
    # init_kwargs["name_or_path"] unless init_kwargs["add_bos_token"] is true; this one does
    # add <bos> (its post-processor prepends it).
    tok.init_kwargs.setdefault("name_or_path", "tiny-word-tokenizer")
    tok.init_kwargs["add_bos_token"] = True
    return tok


def make_legacy(kind, tokenizer=None):
    """A seeded tiny random HookedTransformer; kind: standard, shortformer, rotary,
    rotary_qknorm (rotary with use_qk_norm, as TL builds Qwen 3 / Gemma 3), rotary_yarn
    (YaRN with an attention factor, which scales the whole cos/sin table, row 0 included)
    or alibi."""
    tokenizer = tokenizer or legacy_tokenizer()
    common = dict(
        d_model=32, n_layers=2, n_heads=4, d_head=8, d_mlp=64, n_ctx=128, d_vocab=len(tokenizer),
        seed=tiny_models.SEED, model_name=f"tiny-legacy-{kind}",
    )
    if kind in ("standard", "shortformer", "alibi"):
        cfg = HookedTransformerConfig(positional_embedding_type=kind, normalization_type="LN", act_fn="gelu", **common)
    elif kind in ("rotary", "rotary_qknorm", "rotary_yarn"):
        yarn = dict(use_yarn_rope=True, yarn_factor=4.0, yarn_attention_factor=YARN_FACTOR,
                    yarn_original_max_position_embeddings=32)
        cfg = HookedTransformerConfig(
            positional_embedding_type="rotary", normalization_type="RMS", act_fn="silu", gated_mlp=True,
            n_key_value_heads=2, final_rms=True, use_qk_norm=(kind == "rotary_qknorm"),
            **(yarn if kind == "rotary_yarn" else {}), **common,
        )
    else:
        raise ValueError(f"unknown legacy kind {kind!r}")
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "HookedTransformer is deprecated"
        model = HookedTransformer(cfg, tokenizer=tokenizer)
    if kind == "rotary_qknorm":
        # q/k norm weights start at 1; make them matter (a norm that is not the identity).
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(tiny_models.SEED)
            for block in model.blocks:
                block.attn.q_norm.w.uniform_(0.5, 1.5)
                block.attn.k_norm.w.uniform_(0.5, 1.5)
    model.eval()
    return model


def resid_names(model):
    return ["blocks.0.hook_resid_pre"] + [f"blocks.{i}.hook_resid_post" for i in range(model.cfg.n_layers)]


def reference_hidden(model, ids):
    """Residual stream from a plain run_with_cache of the whole sequence (no backend code)."""
    with torch.no_grad():
        logits, cache = model.run_with_cache(torch.tensor([list(ids)]), names_filter=resid_names(model))
    return torch.stack([cache[n][0] for n in resid_names(model)]).numpy(), logits[0]


class rotary_at_position_zero:
    """Every attention module's rotary_cos / rotary_sin buffer rows replaced by row 0
    (cos = 1, sin = 0; cos = the attention factor for YaRN): an independent way to run a
    rotary model "without positions"."""

    def __init__(self, model, cos0=1.0):
        self.attns = [block.attn for block in model.blocks]
        self.cos0 = cos0

    def __enter__(self):
        self.saved = []
        for attn in self.attns:
            cos, sin = attn.rotary_cos, attn.rotary_sin
            assert torch.allclose(cos[0], torch.full_like(cos[0], self.cos0)), cos[0]
            assert torch.equal(sin[0], torch.zeros_like(sin[0])), sin[0]
            self.saved.append((cos.clone(), sin.clone()))
            cos.copy_(cos[:1].expand_as(cos).clone())
            sin.copy_(sin[:1].expand_as(sin).clone())
        return self

    def __exit__(self, *exc):
        for attn, (cos, sin) in zip(self.attns, self.saved):
            attn.rotary_cos.copy_(cos)
            attn.rotary_sin.copy_(sin)
        return False


class no_pos_embed_weights:
    """W_pos zeroed: an independent way to run a standard/shortformer model without positions."""

    def __init__(self, model):
        self.w = model.pos_embed.W_pos

    def __enter__(self):
        self.saved = self.w.detach().clone()
        with torch.no_grad():
            self.w.zero_()

    def __exit__(self, *exc):
        with torch.no_grad():
            self.w.copy_(self.saved)
        return False


# -- tests ------------------------------------------------------------------------------------


class LegacyMixin:
    kind = None

    @classmethod
    def setUpClass(cls):
        cls.model = make_legacy(cls.kind)
        cls.backend = LensBackend(cls.model)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            cls.writer = capture(cls.backend, PROMPTS, samples=2, tokens=6, forks=1, temperature=1.0, seed=5)

    def test_is_legacy_model(self):
        self.assertIsInstance(self.model, HookedTransformer)
        self.assertFalse(self.backend.is_bridge)
        self.assertEqual(self.backend.n_layers, 2)
        self.assertEqual(self.backend.hidden_size, 32)
        self.assertEqual(self.backend.model_name, f"tiny-legacy-{self.kind}")
        self.assertEqual(self.backend.max_positions, 128)

    def test_shapes_tree_own_tokens_positions(self):
        w, be = self.writer, self.backend
        L = be.n_layers + 1
        self.assertEqual(w.layers, list(range(L)))
        bs = by_id(w)
        self.assertEqual(sorted(b.id for b in w.branches if b.parent is None), ["p0", "p1"])
        self.assertTrue(any(b.id.endswith(".f1") for b in w.branches), [b.id for b in w.branches])
        for b in w.branches:
            n = len(b.tokens)
            self.assertEqual(len(b.extra["token_ids"]), n)
            self.assertEqual(b.tokens, be.token_strings(b.extra["token_ids"]))
            self.assertEqual(b.states.shape, (L, n, be.hidden_size))
            self.assertEqual(b.variants["zero_pe"].shape, (L, n, be.hidden_size))
            self.assertEqual(b.states.dtype, np.float32)
            self.assertTrue(np.isfinite(b.states).all() and np.isfinite(b.variants["zero_pe"]).all(), b.id)
            self.assertEqual(len(b.logprobs), n)
            full = full_ids(w, b.id)
            # own tokens only: the branch's positions are the tail of its full sequence
            self.assertEqual(b.positions, list(range(len(full) - n, len(full))))
            if b.parent is None:
                self.assertEqual(b.positions[0], 0)
                self.assertIsNone(b.logprobs[0])
            else:
                parent = bs[b.parent]
                self.assertTrue(1 <= b.fork_at <= len(parent.tokens))
                self.assertEqual(b.positions[0], parent.positions[0] + b.fork_at)
                self.assertTrue(all(v is not None and v <= 0 for v in b.logprobs))
        for i, prompt in enumerate(PROMPTS):
            root = bs[f"p{i}"]
            self.assertEqual(root.tokens[0], "<bos>")
            self.assertEqual("".join(root.tokens[1:]), " " + prompt)
            self.assertEqual(root.extra["token_ids"], self.backend.encode(prompt))

    def test_states_and_logprobs_equal_independent_run_with_cache(self):
        w = self.writer
        for b in w.branches:
            full = full_ids(w, b.id)
            h, logits = reference_hidden(self.model, full)
            np.testing.assert_allclose(b.states, h[:, b.positions[0]:], atol=ATOL, err_msg=b.id)
            lp = torch.log_softmax(logits.double(), -1)
            for j, t in enumerate(b.positions):
                if t == 0:
                    continue
                self.assertAlmostEqual(b.logprobs[j], lp[t - 1, full[t]].item(), places=4, msg=(b.id, t))

    def test_prefix_stored_once(self):
        """A parent's own states are the prefix slice of its child's full forward."""
        w = self.writer
        bs = by_id(w)
        children = [b for b in w.branches if b.parent is not None]
        self.assertTrue(children)
        for b in children:
            parent = bs[b.parent]
            full = full_ids(w, b.id)
            start = parent.positions[0]
            h, _ = reference_hidden(self.model, full)
            np.testing.assert_allclose(parent.states[:, : b.fork_at], h[:, start: start + b.fork_at], atol=ATOL, err_msg=b.id)
            hz, _ = self.backend.forward(full, zero_pe=True)
            np.testing.assert_allclose(
                parent.variants["zero_pe"][:, : b.fork_at], hz[:, start: start + b.fork_at], atol=ATOL, err_msg=b.id
            )
            # ... and the child stores none of them
            self.assertEqual(len(b.tokens), len(full) - b.positions[0])

    def test_left_padding_tokenizer_runs_tokens_as_given(self):
        """TL 2/3 derives an attention mask when the tokenizer pads on the left, treating leading
        pad ids as padding; the backend must still run the sequence exactly as given."""
        tok = self.model.tokenizer
        ids = [tok.pad_token_id, tok.pad_token_id] + self.backend.encode(PROMPTS[0])
        ref, _ = reference_hidden(self.model, ids)  # right padding: no mask at all
        plain, _ = self.backend.forward(ids)
        zero, _ = self.backend.forward(ids, zero_pe=True)
        sampled = self.backend.sample(ids, 2, 4, 0.0, 1.0, np.random.default_rng(0))
        old = tok.padding_side
        try:
            tok.padding_side = "left"
            masked, _ = reference_hidden(self.model, ids)
            self.assertGreater(np.abs(masked - ref).max(), 1e-3)  # the trap is real
            np.testing.assert_allclose(self.backend.forward(ids)[0], plain, atol=1e-6)
            np.testing.assert_allclose(self.backend.forward(ids, zero_pe=True)[0], zero, atol=1e-6)
            self.assertEqual(self.backend.sample(ids, 2, 4, 0.0, 1.0, np.random.default_rng(0)), sampled)
        finally:
            tok.padding_side = old
        np.testing.assert_allclose(plain, ref, atol=ATOL)

    def test_greedy_sampling_is_argmax_of_full_forward(self):
        prompt = self.backend.encode(PROMPTS[1])
        (cont,) = self.backend.sample(prompt, 1, 5, 0.0, 1.0, np.random.default_rng(0))
        seq = list(prompt)
        for tok in cont:
            with torch.no_grad():
                logits = self.model(torch.tensor([seq]), return_type="logits")[0, -1]
            self.assertEqual(tok, int(logits.argmax()))
            seq.append(tok)


class TestLegacyStandard(LegacyMixin, unittest.TestCase):
    kind = "standard"

    def test_zero_pe_standard(self):
        self.assertEqual(self.backend.positional_encoding, "learned")
        W_E = self.model.W_E.detach().numpy()
        for b in self.writer.branches:
            z0 = b.variants["zero_pe"][0]
            np.testing.assert_allclose(z0, W_E[b.extra["token_ids"]], atol=1e-6, err_msg=b.id)
            self.assertTrue((np.abs(b.states[0] - z0).max(-1) > 1e-3).all(), b.id)
            for layer in range(1, b.states.shape[0]):
                self.assertTrue((np.abs(b.states[layer] - b.variants["zero_pe"][layer]).max(-1) > 1e-5).all(), (b.id, layer))

    def test_zero_pe_matches_zeroed_position_weights(self):
        w = self.writer
        with no_pos_embed_weights(self.model):
            for b in w.branches:
                h, _ = reference_hidden(self.model, full_ids(w, b.id))
                np.testing.assert_allclose(b.variants["zero_pe"], h[:, b.positions[0]:], atol=ATOL, err_msg=b.id)


class TestLegacyShortformer(LegacyMixin, unittest.TestCase):
    """Shortformer: the position embedding feeds q and k only, never the residual stream."""

    kind = "shortformer"

    def test_zero_pe_shortformer(self):
        self.assertEqual(self.backend.positional_encoding, "learned")
        W_E = self.model.W_E.detach().numpy()
        for b in self.writer.branches:
            np.testing.assert_allclose(b.variants["zero_pe"][0], W_E[b.extra["token_ids"]], atol=1e-6, err_msg=b.id)
        # Shortformer adds positions to the queries' and keys' inputs only, as RoPE rotates them.
        assert_position_zero_only_in_attention(self, self.writer)

    def test_zero_pe_matches_zeroed_position_weights(self):
        w = self.writer
        with no_pos_embed_weights(self.model):
            for b in w.branches:
                h, _ = reference_hidden(self.model, full_ids(w, b.id))
                np.testing.assert_allclose(b.variants["zero_pe"], h[:, b.positions[0]:], atol=ATOL, err_msg=b.id)


class RotaryMixin(LegacyMixin):
    cos0 = 1.0

    def test_zero_pe_rotary(self):
        self.assertEqual(self.backend.positional_encoding, "rope")
        self.assertEqual(self.backend.rotary_method, "identity")
        assert_position_zero_only_in_attention(self, self.writer)

    def test_zero_pe_matches_rotary_buffers_of_position_zero(self):
        """Independent reference: the model with every rotary_cos / rotary_sin row set to
        position 0's (cos = 1, sin = 0), run plainly with run_with_cache."""
        w = self.writer
        with rotary_at_position_zero(self.model, self.cos0):
            refs = {b.id: reference_hidden(self.model, full_ids(w, b.id))[0] for b in w.branches}
        for b in w.branches:
            np.testing.assert_allclose(b.variants["zero_pe"], refs[b.id][:, b.positions[0]:], atol=ATOL, err_msg=b.id)
        # the reference really removed positions (it is not just the plain run)
        b = by_id(w)["p0"]
        self.assertGreater(np.abs(refs["p0"][-1] - b.states[-1]).max(), 1e-3)

    def test_identity_patch_is_removed_after_the_run(self):
        self.backend.forward([2, 5, 6], zero_pe=True)
        for block in self.model.blocks:
            self.assertNotIn("apply_rotary", vars(block.attn))
        with self.assertRaises(ValueError):
            self.backend.forward([], zero_pe=True)
        for block in self.model.blocks:
            self.assertNotIn("apply_rotary", vars(block.attn))


class TestLegacyRotary(RotaryMixin, unittest.TestCase):
    kind = "rotary"

    def test_hook_method_agrees(self):
        """rotary_method='hooks' (hook_q / hook_k outputs returned from hook_rot_q / hook_rot_k)
        is right for this model: nothing happens between the two hooks."""
        hooks = LensBackend(self.model, rotary_method="hooks")
        for bid in ("p0", "p1.s1"):
            full = full_ids(self.writer, bid)
            a, _ = hooks.forward(full, zero_pe=True)
            b, _ = self.backend.forward(full, zero_pe=True)
            np.testing.assert_allclose(a, b, atol=1e-6, err_msg=bid)


class TestLegacyRotaryQKNorm(RotaryMixin, unittest.TestCase):
    """use_qk_norm (TL's Qwen 3 / Gemma 3): q and k are normalised AFTER hook_q / hook_k."""

    kind = "rotary_qknorm"

    def test_hook_method_refuses(self):
        hooks = LensBackend(self.model, rotary_method="hooks")
        with self.assertRaisesRegex(RuntimeError, r"hook_rot_q at position 0 differs from hook_q.*rotary_method='identity'"):
            hooks.forward(self.backend.encode(PROMPTS[0]), zero_pe=True)


class TestLegacyRotaryYarn(RotaryMixin, unittest.TestCase):
    """YaRN with attention factor f: TL multiplies the whole cos/sin table by f, so position 0's
    rotation is "scale by f", which zero_pe keeps (as position ids 0 would)."""

    kind = "rotary_yarn"
    cos0 = YARN_FACTOR

    def test_hook_method_refuses(self):
        hooks = LensBackend(self.model, rotary_method="hooks")
        with self.assertRaisesRegex(RuntimeError, r"hook_rot_q at position 0 differs from hook_q"):
            hooks.forward(self.backend.encode(PROMPTS[0]), zero_pe=True)


class TestLegacyAlibi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = make_legacy("alibi")
        cls.backend = LensBackend(cls.model)

    def test_zero_pe_refused(self):
        self.assertEqual(self.backend.positional_encoding, "alibi")
        with self.assertRaisesRegex(ZeroPEUnsupported, r"zero_pe is not defined for tiny-legacy-alibi \(ALiBi.*--no-zero-pe"):
            capture(self.backend, PROMPTS[:1], samples=1, tokens=2)
        with self.assertRaises(ZeroPEUnsupported):
            self.backend.check_zero_pe()

    def test_capture_without_zero_pe(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            w = capture(self.backend, PROMPTS[:1], samples=2, tokens=4, seed=3, zero_pe=False)
        self.assertEqual(w.positional_encoding, "alibi")
        for b in w.branches:
            self.assertEqual(b.variants, {})
            h, _ = reference_hidden(self.model, full_ids(w, b.id))
            np.testing.assert_allclose(b.states, h[:, b.positions[0]:], atol=ATOL, err_msg=b.id)


class LegacyLensUnavailable(unittest.TestCase):
    def test_legacy_lens(self):
        self.skipTest(SKIP_REASON)


def load_tests(loader, standard_tests, pattern):
    """Without HookedTransformer the module is ONE skipped test (never a pass); with
    FORKSCOPE_REQUIRE_LEGACY_LENS=1 (set by capture/scripts/test-legacy-lens) that is an error."""
    if LEGACY_IMPORT_ERROR is not None:
        if os.environ.get("FORKSCOPE_REQUIRE_LEGACY_LENS") == "1":
            raise ImportError(f"FORKSCOPE_REQUIRE_LEGACY_LENS=1 but HookedTransformer is not importable: {LEGACY_IMPORT_ERROR}")
        return loader.suiteClass([LegacyLensUnavailable("test_legacy_lens")])
    suite = loader.suiteClass()
    for case in (TestLegacyStandard, TestLegacyShortformer, TestLegacyRotary, TestLegacyRotaryQKNorm,
                 TestLegacyRotaryYarn, TestLegacyAlibi):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    unittest.main()
