"""GGUF files: ``--model FILE.gguf`` / ``HFBackend.from_pretrained("FILE.gguf")`` on a tiny
LLaMA written as GGUF by the test itself (``tiny_models.save_tiny_gguf``), loaded by transformers
with ``gguf_file=`` and dequantised to float32. Skipped when the ``gguf`` package is missing
(``scripts/setup --tests`` installs it)."""

import importlib.util
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import numpy as np

import support
import tiny_models
from support import torch
from forkscope_capture import capture, read_run
from forkscope_capture.hf import HFBackend, gguf_describe, gguf_location
from test_cli import CLICase, run_cli

HAVE_GGUF = importlib.util.find_spec("gguf") is not None


@unittest.skipUnless(HAVE_GGUF, "the gguf package is not installed (pip install gguf)")
class TestGGUFBackend(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="fc-gguf-"))
        cls.path, cls.reference = tiny_models.save_tiny_gguf(cls.tmp / "tiny-llama.Q8_0.gguf", qtype="Q8_0")
        cls.backend = HFBackend.from_pretrained(cls.path)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_name_version_and_float32(self):
        b = self.backend
        self.assertEqual((b.model_name, b.model_version), ("tiny-llama", "Q8_0"))
        self.assertEqual(b.positional_encoding, "rope")
        self.assertEqual((b.n_layers, b.hidden_size, b.vocab_size), (2, 32, len(tiny_models.gguf_vocab()[0])))
        self.assertEqual({p.dtype for p in b.model.parameters()}, {torch.float32})
        self.assertEqual(gguf_location(self.path), (str(self.tmp), "tiny-llama.Q8_0.gguf"))
        self.assertIsNone(gguf_location(str(self.tmp)))
        with self.assertRaises(FileNotFoundError):
            gguf_location(self.tmp / "missing.gguf")
        # explicit name / version, and the folder + gguf_file= form
        other = HFBackend.from_pretrained(str(self.tmp), gguf_file="tiny-llama.Q8_0.gguf", model_name="tiny",
                                          model_version="v0")
        self.assertEqual((other.model_name, other.model_version), ("tiny", "v0"))

    def test_describe_f32_file(self):
        path, _ = tiny_models.save_tiny_gguf(self.tmp / "plain.gguf", qtype="F32")
        self.assertEqual(gguf_describe(path), ("plain", "F32"))

    def test_weights_and_states_equal_the_dequantised_reference(self):
        # q/k rows come back un-permuted and every Q8_0 weight equals gguf's dequantisation
        got = self.backend.model.state_dict()
        for name, want in self.reference.state_dict().items():
            np.testing.assert_array_equal(got[name].numpy(), want.numpy(), err_msg=name)
        ids = self.backend.encode("the cat sat", chat=True)
        h, lp = self.backend.forward(ids)
        h_ref, lp_ref = HFBackend(self.reference, self.backend.tokenizer).forward(ids)
        np.testing.assert_allclose(h, h_ref, rtol=0, atol=1e-6)
        np.testing.assert_allclose(lp[1:], lp_ref[1:], rtol=0, atol=1e-9)

    def test_tokenizer_and_chat_template(self):
        b = self.backend
        ids = b.encode("the cat", chat=True)
        pieces = b.token_strings(ids)
        self.assertEqual(pieces[0], "<|im_start|>")
        self.assertIn(" cat", pieces)
        self.assertEqual(pieces[-3:], ["n", "t", "\n"])  # "...assistant\n": no merges for it
        self.assertEqual("".join(pieces), "<|im_start|>user\nthe cat<|im_end|>\n<|im_start|>assistant\n")
        self.assertEqual(b.eos_ids[0], tiny_models.gguf_vocab()[0].index("<|im_end|>"))

    def test_capture(self):
        w = capture(self.backend, ["the cat"], samples=2, tokens=4, seed=3, chat=True)
        self.assertEqual(w.model_name, "tiny-llama")
        self.assertEqual(w.model_version, "Q8_0")
        self.assertEqual(len(w.variant_names), 1)  # zero_pe works on the GGUF-loaded llama


@unittest.skipUnless(HAVE_GGUF, "the gguf package is not installed (pip install gguf)")
class TestGGUFCLI(CLICase):
    @classmethod
    def setUpClass(cls):  # no tiny HF models needed here, only the folders and the prompts
        cls.tmp = Path(tempfile.mkdtemp(prefix="fc-gguf-cli-"))
        (cls.tmp / "models").mkdir()
        (cls.tmp / "runs").mkdir()
        cls.prompts_txt = cls.tmp / "prompts.txt"
        cls.prompts_txt.write_text("the cat\n", encoding="utf-8")

    def test_gguf_model_and_version_flag(self):
        path, _ = tiny_models.save_tiny_gguf(self.tmp / "models" / "tiny-llama.Q8_0.gguf")
        out = self.tmp / "runs" / "gguf"
        proc = run_cli("--model", path, "--prompts", self.prompts_txt, "--chat", "--samples", 1, "--tokens", 3,
                       "--out", out, "--threads", 1)
        self.summary(proc)
        doc = read_run(out).manifest
        self.assertEqual(doc["model"], {"name": "tiny-llama", "version": "Q8_0", "positional_encoding": "rope"})
        self.assertEqual(doc["branches"][0]["tokens"][0], "<|im_start|>")
        out2 = self.tmp / "runs" / "gguf-named"
        proc = run_cli("--model", path, "--prompts", self.prompts_txt, "--samples", 0, "--model-version",
                       "shipped Q8_0", "--model-name", "tiny", "--no-zero-pe", "--out", out2, "--threads", 1)
        self.summary(proc)
        self.assertEqual(json.loads((out2 / "run.json").read_text())["model"],
                         {"name": "tiny", "version": "shipped Q8_0", "positional_encoding": "rope"})

    def test_gguf_errors(self):
        proc = run_cli("--model", self.tmp / "nope.gguf", "--prompts", self.prompts_txt, "--out", self.tmp / "runs" / "x")
        self.assertOneLineError(proc, 2, r"--model: GGUF file .*nope\.gguf not found")
        path, _ = tiny_models.save_tiny_gguf(self.tmp / "models" / "lens.gguf", qtype="F32")
        proc = run_cli("--backend", "lens", "--model", path, "--prompts", self.prompts_txt, "--out", self.tmp / "runs" / "y")
        self.assertOneLineError(proc, 2, r"a \.gguf file is loaded with --backend hf only")


if __name__ == "__main__":
    unittest.main()
