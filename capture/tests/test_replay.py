"""Teacher-forced replay (``replay()`` / ``--replay RUN_DIR``): an existing run's branch tree,
token ids and texts recorded again with a model, on tiny random LLaMA models."""

import copy
import json
import shutil
import tempfile
import unittest
import warnings
from pathlib import Path

import numpy as np

import support
import tiny_models
from support import PROMPTS, torch
from forkscope_capture import CaptureInputError, CaptureWarning, capture, read_run, replay
from forkscope_capture.hf import HFBackend
from test_cli import CLICase, run_cli


def other_weights(model, scale=0.01, seed=7):
    """A "new version" of a model: every weight nudged by seeded noise."""
    m = copy.deepcopy(model)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g))
    return m


class TestReplayAPI(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="fc-replay-"))
        model, tok = tiny_models.make_hf("llama")
        cls.backend = HFBackend(model, tok, model_name="tiny")
        cls.writer = capture(cls.backend, PROMPTS, samples=2, tokens=5, forks=1, seed=5, temperature=1.0)
        cls.source = cls.tmp / "source"
        cls.writer.write(cls.source, dtype="f16")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write_doc(self, name, edit):
        folder = self.tmp / name
        shutil.copytree(self.source, folder, dirs_exist_ok=True)
        doc = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        edit(doc)
        (folder / "run.json").write_text(json.dumps(doc), encoding="utf-8")
        return folder

    def test_same_model_reproduces_the_run(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error", CaptureWarning)  # same tokenizer: no respelling warning
            again = replay(self.backend, self.source)
        src = read_run(self.source)
        out = read_run(again.write(self.tmp / "again", dtype="f16").path)
        self.assertEqual(len(out.branches), len(src.branches))
        self.assertTrue(any(b["parent"] and b["id"].endswith(".f1") for b in out.branches))  # forks too
        for a, b in zip(src.branches, out.branches):
            for key in ("id", "label", "parent", "fork_at", "tokens", "positions", "token_ids"):
                self.assertEqual(a.get(key), b.get(key), f"{a['id']}.{key}")
            self.assertEqual(a.get("text"), b.get("text"))
            np.testing.assert_allclose(np.array(b["logprobs"], dtype=float), np.array(a["logprobs"], dtype=float),
                                       atol=2e-5, equal_nan=True)
            # the same f16 values: the same forward pass over the same ids
            np.testing.assert_allclose(out.tensors[a["id"]], src.tensors[a["id"]], rtol=2 ** -10, atol=1e-6)
            np.testing.assert_allclose(out.variants["zero_pe"][a["id"]], src.variants["zero_pe"][a["id"]],
                                       rtol=2 ** -10, atol=1e-6)
        self.assertIn("teacher-forced replay of: tiny: 2 prompts", out.manifest["title"])

    def test_other_version_same_tokens_new_states(self):
        model, tok = tiny_models.make_hf("llama")
        v1 = HFBackend(other_weights(model), tok, model_name="tiny", model_version="nudged")
        w = replay(v1, self.source, zero_pe=False, layers=[0, 2], title="v1")
        self.assertEqual(w.model_version, "nudged")
        self.assertEqual(w.layers, [0, 2])
        self.assertEqual(w.variant_names, ())
        src = {b.id: b for b in self.writer.branches}
        for b in w.branches:
            s = src[b.id]
            self.assertEqual((b.tokens, b.positions, b.extra["token_ids"]), (s.tokens, s.positions, s.extra["token_ids"]))
            a, ref = b.states, s.states[[0, 2]]
            rel = np.linalg.norm(a - ref) / np.linalg.norm(ref)
            self.assertGreater(rel, 1e-4, b.id)
            self.assertLess(rel, 0.5, b.id)
        # states equal one forward pass of the full ids with the new model
        fid = next(b.id for b in w.branches if b.id.endswith(".f1"))
        full = support.full_ids(self.writer, fid)
        hidden, _ = v1.forward(full)
        mine = next(b for b in w.branches if b.id == fid)
        np.testing.assert_allclose(mine.states, hidden[[0, 2], len(full) - len(mine.tokens):], atol=1e-6)

    def test_refusals_name_file_and_field(self):
        def drop_ids(doc):
            del doc["branches"][1]["token_ids"]

        folder = self.write_doc("no-ids", drop_ids)
        with self.assertRaisesRegex(CaptureInputError, r"no-ids/run\.json: branches\[1\]\.token_ids: missing"):
            replay(self.backend, folder)

        vocab = self.backend.vocab_size

        def too_big(doc):
            doc["branches"][2]["token_ids"][1] = vocab + 3

        folder = self.write_doc("big-ids", too_big)
        with self.assertRaisesRegex(
                CaptureInputError,
                rf"big-ids/run\.json: branches\[2\]\.token_ids\[1\]: {vocab + 3} is outside the model's vocabulary "
                rf"\(ids 0\.\.{vocab - 1}\)"):
            replay(self.backend, folder)

        cases = [
            ("short", lambda d: d["branches"][0]["token_ids"].pop(), r"branches\[0\]\.token_ids: \d+ ids for \d+ tokens"),
            ("negative", lambda d: d["branches"][0]["token_ids"].__setitem__(0, -1), r"branches\[0\]\.token_ids\[0\]: -1 is not"),
            ("parent", lambda d: d["branches"][1].__setitem__("parent", "zz"), r"branches\[1\]\.parent: 'zz' is not"),
            ("fork", lambda d: d["branches"][1].__setitem__("fork_at", 999), r"branches\[1\]\.fork_at: 999 is outside"),
            ("pos", lambda d: d["branches"][1].__setitem__("positions", [p + 1 for p in d["branches"][1]["positions"]]),
             r"branches\[1\]\.positions: a replay runs each token at the position after its prefix"),
            ("empty", lambda d: d.__setitem__("branches", []), r"branches: expected a non-empty list"),
        ]
        for name, edit, pattern in cases:
            with self.subTest(name):
                with self.assertRaisesRegex(CaptureInputError, rf"{name}/run\.json: " + pattern):
                    replay(self.backend, self.write_doc(name, edit))
        with self.assertRaisesRegex(CaptureInputError, r"missing/run\.json: not found"):
            replay(self.backend, self.tmp / "missing")


class TestReplayCLI(CLICase):
    def test_replay_cli(self):
        src = self.tmp / "runs" / "src"
        self.summary(run_cli("--model", self.models["llama"], "--prompts", self.prompts_txt, "--samples", 2,
                             "--tokens", 4, "--forks", 1, "--seed", 2, "--out", src, "--threads", 1))
        out = self.tmp / "runs" / "replayed"
        proc = run_cli("--model", self.models["llama"], "--replay", src, "--model-version", "again", "--layers", "0,2",
                       "--out", out, "--threads", 1)
        m = self.summary(proc)
        a, b = read_run(src), read_run(out)
        self.assertEqual(int(m["l"]), 2)
        self.assertEqual(b.manifest["model"], {"name": "llama", "version": "again", "positional_encoding": "rope"})
        self.assertEqual([(x["id"], x["tokens"], x["token_ids"], x["positions"]) for x in a.branches],
                         [(x["id"], x["tokens"], x["token_ids"], x["positions"]) for x in b.branches])
        for x in a.branches:
            np.testing.assert_allclose(b.tensors[x["id"]], a.tensors[x["id"]][[0, 2]], rtol=2 ** -10, atol=1e-6)
            np.testing.assert_allclose(b.variants["zero_pe"][x["id"]], a.variants["zero_pe"][x["id"]][[0, 2]],
                                       rtol=2 ** -10, atol=1e-6)

        # a run from a model with a larger vocabulary (ids beyond this one's): refused, exit 2
        doc = json.loads((src / "run.json").read_text(encoding="utf-8"))
        doc["branches"][0]["token_ids"][0] = 100000
        bad = self.tmp / "runs" / "bad-ids"
        bad.mkdir()
        (bad / "run.json").write_text(json.dumps(doc), encoding="utf-8")
        proc = run_cli("--model", self.models["llama"], "--replay", bad, "--out", self.tmp / "runs" / "r2", "--threads", 1)
        self.assertOneLineError(proc, 2, r"bad-ids/run\.json: branches\[0\]\.token_ids\[0\]: 100000 is outside "
                                         r"the model's vocabulary")
        del doc["branches"][0]["token_ids"]
        (bad / "run.json").write_text(json.dumps(doc), encoding="utf-8")
        proc = run_cli("--model", self.models["llama"], "--replay", bad, "--out", self.tmp / "runs" / "r3")
        self.assertOneLineError(proc, 2, r"bad-ids/run\.json: branches\[0\]\.token_ids: missing")

    def test_prompts_xor_replay(self):
        proc = run_cli("--model", self.models["llama"], "--out", self.tmp / "runs" / "n1")
        self.assertOneLineError(proc, 2, r"give --prompts FILE .* or --replay RUN_DIR")
        proc = run_cli("--model", self.models["llama"], "--prompts", self.prompts_txt, "--replay", self.tmp,
                       "--out", self.tmp / "runs" / "n2")
        self.assertOneLineError(proc, 2, r"--prompts and --replay exclude each other")


if __name__ == "__main__":
    unittest.main()
