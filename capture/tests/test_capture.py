"""Backend-independent parts: sampling primitives and the branch tree of capture(),
checked with a small deterministic NumPy "model" (no torch)."""

import unittest
import warnings

import numpy as np

import support  # noqa: F401  (import path, threads)
from support import by_id, full_ids
from forkscope_capture import Backend, CaptureInputError, CaptureWarning, ZeroPEUnsupported, capture
from forkscope_capture.sampling import choose_token, log_softmax, next_token_probs, truncate_after_eos
from forkscope_capture.tree import prompt_label

VOCAB = 12
EOS = 11


class FakeBackend(Backend):
    """A causal toy model. hidden[l, t] depends on ids[:t+1] (a running sum) and, unless
    zero_pe, on the position t; logits at t depend on the hidden state at t."""

    def __init__(self, n_layers=3, hidden=5, eos_bias=-2.0, scripted=None, zero_pe_ok=True, max_positions=None):
        self.n_layers = n_layers
        self.hidden_size = hidden
        self.model_name = "fake"
        self.positional_encoding = "learned"
        self.max_positions = max_positions
        rng = np.random.default_rng(42)
        self.emb = rng.standard_normal((VOCAB, hidden))
        self.pos = rng.standard_normal((256, hidden))
        self.out = rng.standard_normal((hidden, VOCAB))
        self.out[:, EOS] = 0.0
        self.eos_bias = eos_bias
        self.scripted = list(scripted or [])  # continuations returned by sample(), in order
        self.zero_pe_ok = zero_pe_ok
        self.forward_calls = []
        self.sample_calls = []

    def encode(self, prompt, chat=False):
        words = prompt.split()
        ids = [0] + [1 + (sum(map(ord, w)) % (VOCAB - 2)) for w in words]
        return ids + ([10] if chat else [])

    def token_strings(self, ids):
        return ["<s>" if i == 0 else f" t{i}" for i in ids]

    def _hidden(self, ids, zero_pe):
        T = len(ids)
        x = self.emb[ids] + (0.0 if zero_pe else self.pos[:T])
        hs = [x]
        for l in range(self.n_layers):
            x = np.tanh(np.cumsum(x, axis=0) / np.arange(1, T + 1)[:, None] + 0.1 * (l + 1))
            hs.append(x)
        return np.stack(hs).astype(np.float32)

    def _logits(self, h_last):
        z = h_last @ self.out * 3.0
        z[..., EOS] += self.eos_bias
        return z

    def forward(self, ids, zero_pe=False):
        self.forward_calls.append((tuple(ids), zero_pe))
        h = self._hidden(list(ids), zero_pe)
        lp = np.full(len(ids), np.nan)
        ls = log_softmax(self._logits(h[-1]))
        for t in range(1, len(ids)):
            lp[t] = ls[t - 1, ids[t]]
        return h, lp

    def check_zero_pe(self):
        if not self.zero_pe_ok:
            raise ZeroPEUnsupported("zero_pe is not defined for fake (ALiBi); capture with --no-zero-pe")

    def sample(self, prefix_ids, n, max_new_tokens, temperature, top_p, rng):
        self.sample_calls.append((tuple(prefix_ids), n, max_new_tokens))
        if self.scripted:
            return [list(self.scripted.pop(0)) for _ in range(n)]
        out = []
        for _ in range(n):
            ids = list(prefix_ids)
            new = []
            for _ in range(max_new_tokens):
                h = self._hidden(ids, False)
                tok = choose_token(self._logits(h[-1, -1]), temperature, top_p, rng)
                new.append(tok)
                ids.append(tok)
                if tok == EOS:
                    break
            out.append(new)
        return [truncate_after_eos(s, [EOS]) for s in out]




class TestSampling(unittest.TestCase):
    def test_greedy(self):
        rng = np.random.default_rng(0)
        self.assertEqual(choose_token([0.1, 3.0, 2.9], 0.0, 1.0, rng), 1)
        self.assertEqual(choose_token([0.1, 3.0, 3.0], 0.0, 1.0, rng), 1, "first maximum")

    def test_top_p(self):
        logits = np.log([0.5, 0.3, 0.15, 0.05])
        np.testing.assert_allclose(next_token_probs(logits, 1.0, 1.0), [0.5, 0.3, 0.15, 0.05])
        np.testing.assert_allclose(next_token_probs(logits, 1.0, 0.5), [1, 0, 0, 0])
        np.testing.assert_allclose(next_token_probs(logits, 1.0, 0.51), [0.5 / 0.8, 0.3 / 0.8, 0, 0])
        np.testing.assert_allclose(next_token_probs(logits, 1.0, 0.9), [0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0])
        np.testing.assert_allclose(next_token_probs(logits, 1.0, 1e-9), [1, 0, 0, 0])
        rng = np.random.default_rng(1)
        draws = {choose_token(logits, 1.0, 0.51, rng) for _ in range(300)}
        self.assertEqual(draws, {0, 1})

    def test_temperature_and_frequencies(self):
        logits = np.array([0.0, 1.0, 2.0])
        p = next_token_probs(logits, 0.5, 1.0)
        np.testing.assert_allclose(p, np.exp(logits / 0.5) / np.exp(logits / 0.5).sum())
        rng = np.random.default_rng(5)
        counts = np.bincount([choose_token(logits, 1.0, 1.0, rng) for _ in range(6000)], minlength=3) / 6000
        np.testing.assert_allclose(counts, np.exp(logits) / np.exp(logits).sum(), atol=0.03)

    def test_deterministic(self):
        logits = np.random.default_rng(3).standard_normal(50)
        a = [choose_token(logits, 0.8, 0.9, np.random.default_rng(11)) for _ in range(5)]
        b = [choose_token(logits, 0.8, 0.9, np.random.default_rng(11)) for _ in range(5)]
        self.assertEqual(a, b)

    def test_masked_and_bad_logits(self):
        rng = np.random.default_rng(0)
        for _ in range(50):
            self.assertEqual(choose_token([-np.inf, 0.0, -np.inf], 1.0, 1.0, rng), 1)
        with self.assertRaisesRegex(ValueError, "NaN"):
            choose_token([np.nan, 0.0], 1.0, 1.0, rng)
        with self.assertRaisesRegex(ValueError, "top_p"):
            choose_token([0.0, 0.0], 1.0, 0.0, rng)

    def test_truncate_after_eos(self):
        self.assertEqual(truncate_after_eos([1, 2, 3], [9]), [1, 2, 3])
        self.assertEqual(truncate_after_eos([1, 9, 3, 9], [9]), [1, 9])
        self.assertEqual(truncate_after_eos([9, 3], {9, 4}), [9])
        self.assertEqual(truncate_after_eos([], [9]), [])


class TestCaptureTree(unittest.TestCase):
    def run_capture(self, **kw):
        backend = kw.pop("backend", None) or FakeBackend()
        args = dict(samples=3, tokens=6, forks=2, temperature=1.0, seed=0)
        args.update(kw)
        prompts = args.pop("prompts", ["the quick fox", "hello there world again"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            w = capture(backend, prompts, **args)
        return w, backend, [str(c.message) for c in caught if issubclass(c.category, CaptureWarning)]

    def test_tree_structure(self):
        w, be, _ = self.run_capture(backend=FakeBackend(eos_bias=-50.0))  # no EOS: full lengths
        ids = [b.id for b in w.branches]
        expected = []
        for p in ("p0", "p1"):
            expected.append(p)
            for s in (1, 2, 3):
                expected.append(f"{p}.s{s}")
                expected += [f"{p}.s{s}.f1", f"{p}.s{s}.f2"]
        self.assertEqual(ids, expected, "parents come before children")
        bs = by_id(w)
        for p, prompt in (("p0", "the quick fox"), ("p1", "hello there world again")):
            root = bs[p]
            n_prompt = len(be.encode(prompt))
            self.assertIsNone(root.parent)
            self.assertIsNone(root.fork_at)
            self.assertEqual(root.positions, list(range(n_prompt)))
            self.assertEqual(root.label, prompt_label(prompt))
            self.assertEqual(root.extra["text"], prompt)
            self.assertIsNone(root.logprobs[0], "first root token has no logprob")
            for s in (1, 2, 3):
                samp = bs[f"{p}.s{s}"]
                self.assertEqual((samp.parent, samp.fork_at, samp.label), (p, n_prompt, f"sample {s}"))
                self.assertEqual(len(samp.tokens), 6)
                self.assertEqual(samp.positions, list(range(n_prompt, n_prompt + 6)))
                for f in (1, 2):
                    fork = bs[f"{p}.s{s}.f{f}"]
                    self.assertEqual(fork.parent, samp.id)
                    self.assertTrue(1 <= fork.fork_at <= 5, fork.fork_at)
                    self.assertEqual(len(fork.tokens), 6 - fork.fork_at, "a fork samples len(sample) - k tokens")
                    start = n_prompt + fork.fork_at
                    self.assertEqual(fork.positions, list(range(start, start + len(fork.tokens))))
                    self.assertEqual(full_ids(w, fork.id)[: start], full_ids(w, samp.id)[: start])

    def test_states_are_own_tokens_of_one_full_forward(self):
        w, be, _ = self.run_capture(layers=[0, 2, 3])
        self.assertEqual(w.layers, [0, 2, 3])
        for b in w.branches:
            full = full_ids(w, b.id)
            n_prefix = len(full) - len(b.tokens)
            self.assertEqual(n_prefix, b.positions[0])
            h, lp = be.forward(full)
            self.assertEqual(b.states.shape, (3, len(b.tokens), be.hidden_size))
            np.testing.assert_allclose(b.states, h[[0, 2, 3], n_prefix:], rtol=0, atol=1e-6)
            hz, _ = be.forward(full, zero_pe=True)
            np.testing.assert_allclose(b.variants["zero_pe"], hz[[0, 2, 3], n_prefix:], rtol=0, atol=1e-6)
            np.testing.assert_allclose([np.nan if v is None else v for v in b.logprobs], lp[n_prefix:], atol=1e-9)
            self.assertEqual(b.tokens, be.token_strings(b.extra["token_ids"]))
            if b.parent is not None:
                self.assertTrue(all(v is not None and v <= 0 for v in b.logprobs))
        # one full forward (plus one zero_pe) per branch
        n_forwards = sum(1 for _, z in be.forward_calls if not z)
        self.assertEqual(n_forwards, len(w.branches) * 2)  # capture's + this test's own

    def test_prefix_stored_once(self):
        w, be, _ = self.run_capture()
        bs = by_id(w)
        child = bs["p0.s2"]
        h, _ = be.forward(full_ids(w, child.id))
        np.testing.assert_allclose(bs["p0"].states, h[:, : len(bs["p0"].tokens)], atol=1e-6)
        fork = bs["p0.s2.f1"]
        h, _ = be.forward(full_ids(w, fork.id))
        n_root = len(bs["p0"].tokens)
        np.testing.assert_allclose(child.states[:, : fork.fork_at], h[:, n_root: n_root + fork.fork_at], atol=1e-6)

    def test_deterministic_for_a_seed(self):
        a, _, _ = self.run_capture(seed=7)
        b, _, _ = self.run_capture(seed=7)
        c, _, _ = self.run_capture(seed=8)
        self.assertEqual([(x.id, x.tokens, x.fork_at) for x in a.branches], [(x.id, x.tokens, x.fork_at) for x in b.branches])
        for x, y in zip(a.branches, b.branches):
            np.testing.assert_array_equal(x.states, y.states)
        self.assertNotEqual([x.tokens for x in a.branches], [x.tokens for x in c.branches])

    def test_empty_and_short_continuations(self):
        # sample() returns: [] (immediate EOS) for s1, one token for s2, three for s3
        be = FakeBackend(scripted=[[], [5], [3, 4, EOS], [7]])
        be.sample = _scripted_sample(be)
        w, _, warns = self.run_capture(backend=be, prompts=["a b"], samples=3, forks=1)
        self.assertEqual([b.id for b in w.branches], ["p0", "p0.s2", "p0.s3", "p0.s3.f1"])
        self.assertTrue(any("p0.s1: the continuation came back empty; skipped" in m for m in warns), warns)
        self.assertTrue(any("p0.s2.f1: sample p0.s2 has 1 token(s), too short to fork" in m for m in warns), warns)
        self.assertEqual(by_id(w)["p0.s3"].extra["token_ids"], [3, 4, EOS])

    def test_empty_fork_skipped(self):
        be = FakeBackend()
        be.sample = _scripted_sample(be, [[[1, 2, 3]], [[]]])
        w, _, warns = self.run_capture(backend=be, prompts=["a"], samples=1, forks=1)
        self.assertEqual([b.id for b in w.branches], ["p0", "p0.s1"])
        self.assertTrue(any("p0.s1.f1: the fork came back empty" in m for m in warns), warns)

    def test_no_samples_and_no_zero_pe(self):
        w, be, _ = self.run_capture(samples=0, forks=0, zero_pe=False)
        self.assertEqual([b.id for b in w.branches], ["p0", "p1"])
        self.assertEqual(w.variant_names, ())
        self.assertFalse(any(z for _, z in be.forward_calls))

    def test_zero_pe_refused_before_sampling(self):
        be = FakeBackend(zero_pe_ok=False)
        with self.assertRaisesRegex(ZeroPEUnsupported, "--no-zero-pe"):
            capture(be, ["a b"], samples=2, tokens=3)
        self.assertEqual(be.sample_calls, [])
        self.assertEqual(be.forward_calls, [])
        w = capture(be, ["a b"], samples=2, tokens=3, zero_pe=False)
        self.assertEqual(len(w), 3)

    def test_argument_errors(self):
        be = FakeBackend(max_positions=8)
        with self.assertRaisesRegex(CaptureInputError, "out of range 0..3"):
            capture(be, ["a"], layers=[0, 4])
        with self.assertRaisesRegex(CaptureInputError, "exceeds the model's 8 positions"):
            capture(be, ["a b c"], tokens=6)
        with self.assertRaisesRegex(CaptureInputError, "not one string"):
            capture(be, "a b")
        with self.assertRaisesRegex(CaptureInputError, "no prompts"):
            capture(be, [])
        with self.assertRaisesRegex(CaptureInputError, "top_p"):
            capture(be, ["a"], top_p=0)
        with self.assertRaisesRegex(CaptureInputError, "forks need samples"):
            capture(be, ["a"], samples=0, forks=1)

    def test_prompt_as_ids_and_chat(self):
        be = FakeBackend()
        w = capture(be, [[0, 3, 4]], samples=1, tokens=2, zero_pe=False)
        self.assertEqual(w.branches[0].tokens, ["<s>", " t3", " t4"])
        w = capture(be, ["x y"], samples=0, chat=True, zero_pe=False)
        self.assertEqual(w.branches[0].extra["token_ids"][-1], 10)

    def test_label(self):
        self.assertEqual(prompt_label("a\n b"), "prompt: a b")
        self.assertEqual(prompt_label("x" * 50), "prompt: " + "x" * 40 + "\u2026")


def _scripted_sample(be, per_call=None):
    """sample() replacement: per_call[i] is the list of continuations for call i, or (when
    None) each requested continuation is popped from be.scripted."""
    calls = list(per_call) if per_call is not None else None

    def sample(prefix_ids, n, max_new_tokens, temperature, top_p, rng):
        be.sample_calls.append((tuple(prefix_ids), n, max_new_tokens))
        if calls is not None:
            return calls.pop(0)
        return [be.scripted.pop(0) for _ in range(n)]

    return sample


if __name__ == "__main__":
    unittest.main()
