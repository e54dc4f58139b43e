"""The command line, end to end, in subprocesses (`python -m forkscope_capture`) on tiny
models saved with save_pretrained into a temporary folder."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import numpy as np

import support
import tiny_models
from forkscope_capture import read_run
from forkscope_capture.cli import UsageError, parse_layers, read_prompts

SUMMARY = re.compile(r"^wrote (?P<path>.+): (?P<b>\d+) branches, (?P<t>\d+) tokens, (?P<l>\d+) layers, "
                     r"(?P<f>\d+) files \((?P<names>[^)]*)\), (?P<bytes>\d+) bytes$")


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "forkscope_capture", *map(str, args)], capture_output=True,
                          text=True, env=support.subprocess_env(), timeout=timeout, stdin=subprocess.DEVNULL)


class CLICase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="fc-cli-"))
        cls.models = {k: tiny_models.save_tiny(k, cls.tmp / "models" / k) for k in ("gpt2", "llama", "bloom")}
        (cls.tmp / "runs").mkdir()
        cls.prompts_txt = cls.tmp / "prompts.txt"
        cls.prompts_txt.write_text("# a comment\n\nthe cat sits on the red stone\n  \na small bird sings\n", encoding="utf-8")
        cls.prompts_json = cls.tmp / "prompts.json"
        cls.prompts_json.write_text(json.dumps(["hello cat", "the dog\nruns"]), encoding="utf-8")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def assertOneLineError(self, proc, status, pattern):
        self.assertEqual(proc.returncode, status, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("forkscope-capture: error:")]
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertRegex(lines[0], pattern)
        self.assertNotIn("Traceback", proc.stderr)

    def summary(self, proc):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.strip().splitlines()
        m = SUMMARY.match(lines[-1])
        self.assertIsNotNone(m, proc.stdout)
        return m


class TestCLI(CLICase):
    def test_hf_gpt2_safetensors_with_forks(self):
        out = self.tmp / "runs" / "gpt2"
        proc = run_cli("--model", self.models["gpt2"], "--prompts", self.prompts_txt, "--samples", 2, "--tokens", 5,
                       "--forks", 1, "--seed", 1, "--temperature", 1.0, "--out", out, "--threads", 1)
        m = self.summary(proc)
        run = read_run(out)
        doc = run.manifest
        self.assertEqual(int(m["b"]), len(doc["branches"]))
        self.assertEqual(int(m["t"]), sum(len(b["tokens"]) for b in doc["branches"]))
        self.assertEqual(int(m["l"]), 3)
        self.assertEqual(m["names"], "run.json, activations.safetensors, activations.zero_pe.safetensors")
        self.assertEqual(int(m["bytes"]), sum(p.stat().st_size for p in out.iterdir()))
        self.assertEqual(doc["model"], {"name": "gpt2", "positional_encoding": "learned"})
        self.assertEqual(doc["layers"], [0, 1, 2])
        self.assertEqual(doc["hidden_size"], 32)
        self.assertIn("2 prompts x 2 sampled continuations (5 tok, T=1", doc["title"])
        roots = [b for b in doc["branches"] if b["parent"] is None]
        self.assertEqual([b["label"] for b in roots], ["prompt: the cat sits on the red stone", "prompt: a small bird sings"])
        self.assertTrue(any(b["id"].endswith(".f1") for b in doc["branches"]))
        header = json.loads((out / "activations.safetensors").read_bytes()[8:][: int.from_bytes(
            (out / "activations.safetensors").read_bytes()[:8], "little")])
        self.assertEqual({v["dtype"] for k, v in header.items() if k != "__metadata__"}, {"F16"})
        from safetensors.numpy import load_file

        loaded = load_file(str(out / "activations.zero_pe.safetensors"))
        for b in doc["branches"]:
            np.testing.assert_array_equal(loaded[b["id"]].astype(np.float32), run.variants["zero_pe"][b["id"]])

        # same arguments again: refused (exit 2) unless --overwrite
        again = run_cli("--model", self.models["gpt2"], "--prompts", self.prompts_txt, "--out", out)
        self.assertOneLineError(again, 2, r"exists and is not empty; pass --overwrite")
        replaced = run_cli("--model", self.models["gpt2"], "--prompts", self.prompts_txt, "--samples", 0,
                           "--out", out, "--overwrite", "--threads", 1)
        self.summary(replaced)
        self.assertEqual(len(read_run(out).branches), 2)

    def test_hf_llama_chat_npz_layers(self):
        out = self.tmp / "runs" / "llama"
        proc = run_cli("--model", self.models["llama"], "--prompts", self.prompts_json, "--chat", "--samples", 1,
                       "--tokens", 4, "--layers", "0,2", "--container", "npz", "--dtype", "f32", "--no-zero-pe",
                       "--title", "chat test \u00e9", "--out", out, "--threads", 1)
        m = self.summary(proc)
        self.assertEqual(m["names"], "run.json, activations.npz")
        run = read_run(out)
        doc = run.manifest
        self.assertEqual(doc["title"], "chat test \u00e9")
        self.assertEqual(doc["layers"], [0, 2])
        self.assertEqual(doc["tensors"], "activations.npz")
        self.assertNotIn("variants", doc)
        self.assertEqual(doc["model"]["positional_encoding"], "rope")
        p0 = doc["branches"][0]
        self.assertEqual(p0["tokens"], ["<bos>", " user", " hello", " cat", "<sep>", " assistant"])
        self.assertEqual(p0["text"], "hello cat")
        p1 = next(b for b in doc["branches"] if b["id"] == "p1")
        self.assertEqual(p1["text"], "the dog\nruns")
        self.assertEqual(p1["label"], "prompt: the dog runs")
        with np.load(out / "activations.npz") as z:
            self.assertEqual(z["p0"].dtype, np.float32)
            self.assertEqual(z["p0"].shape, (2, 6, 32))

    def test_lens_backend_matches_hf_tokens(self):
        common = ["--prompts", self.prompts_txt, "--samples", 2, "--tokens", 4, "--seed", 4, "--threads", 1]
        out_lens = self.tmp / "runs" / "lens"
        out_hf = self.tmp / "runs" / "hf-for-lens"
        proc = run_cli("--backend", "lens", "--model", self.models["llama"], "--dtype", "bf16", "--out", out_lens, *common)
        self.summary(proc)
        proc = run_cli("--model", self.models["llama"], "--dtype", "f32", "--out", out_hf, *common)
        self.summary(proc)
        lens, hf = read_run(out_lens), read_run(out_hf)
        self.assertEqual(lens.manifest["model"], {"name": "llama", "positional_encoding": "rope"})
        self.assertEqual([(b["id"], b["tokens"]) for b in lens.branches], [(b["id"], b["tokens"]) for b in hf.branches])
        header = json.loads((out_lens / "activations.safetensors").read_bytes()[8:][: int.from_bytes(
            (out_lens / "activations.safetensors").read_bytes()[:8], "little")])
        self.assertEqual({v["dtype"] for k, v in header.items() if k != "__metadata__"}, {"BF16"})
        for b in hf.branches:
            # layers 0..n-1 agree up to bf16 rounding (the last differs: HF's is after the final norm)
            a, h = lens.tensors[b["id"]][:-1], hf.tensors[b["id"]][:-1]
            np.testing.assert_allclose(a, h, rtol=2 ** -7, atol=1e-6)
            np.testing.assert_allclose(lens.variants["zero_pe"][b["id"]][:-1], hf.variants["zero_pe"][b["id"]][:-1],
                                       rtol=2 ** -7, atol=1e-6)

    def test_alibi_refuses_zero_pe(self):
        out = self.tmp / "runs" / "bloom"
        proc = run_cli("--model", self.models["bloom"], "--prompts", self.prompts_txt, "--samples", 1, "--tokens", 2,
                       "--out", out, "--threads", 1)
        self.assertOneLineError(proc, 2, r"zero_pe is not defined for bloom \(ALiBi.*\); capture with --no-zero-pe$")
        self.assertFalse(out.exists())
        self.assertEqual([p.name for p in (self.tmp / "runs").iterdir() if p.name.startswith(".")], [])
        proc = run_cli("--model", self.models["bloom"], "--prompts", self.prompts_txt, "--samples", 1, "--tokens", 2,
                       "--out", out, "--no-zero-pe", "--threads", 1)
        self.summary(proc)
        self.assertEqual(read_run(out).manifest["model"]["positional_encoding"], "alibi")

    def test_bad_arguments(self):
        out = self.tmp / "runs" / "never"
        base = ["--model", self.models["gpt2"], "--out", out]
        self.assertOneLineError(run_cli(*base, "--prompts", self.tmp / "missing.txt"), 2, "prompts file .* not found")
        self.assertOneLineError(run_cli(*base, "--prompts", self.prompts_txt, "--layers", "0,x"), 2, "--layers: 'x'")
        self.assertOneLineError(run_cli(*base, "--prompts", self.prompts_txt, "--dtype", "bf16", "--container", "npz"),
                                2, "bf16 cannot be stored in npz")
        self.assertOneLineError(run_cli(*base, "--prompts", self.prompts_txt, "--top-p", "0"), 2, "--top-p")
        self.assertOneLineError(run_cli(*base, "--prompts", self.prompts_txt, "--layers", "0,9", "--threads", 1),
                                2, r"layer 9 is out of range 0..2")
        bad_json = self.tmp / "bad.json"
        bad_json.write_text('{"a": 1}', encoding="utf-8")
        self.assertOneLineError(run_cli(*base, "--prompts", bad_json), 2, "expected a JSON list of strings")
        proc = run_cli("--prompts", self.prompts_txt)  # argparse: missing --model/--out
        self.assertEqual(proc.returncode, 2)
        self.assertIn("required", proc.stderr)
        self.assertFalse(out.exists())
        proc = run_cli("--model", self.tmp / "no-such-model", "--prompts", self.prompts_txt, "--out", out)
        self.assertOneLineError(proc, 1, ".")
        self.assertFalse(out.exists())

    def test_help_without_torch(self):
        proc = run_cli("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("--no-zero-pe", proc.stdout)
        code = ("import sys; from forkscope_capture import cli, RunWriter; "
                "import contextlib, io\n"
                "with contextlib.redirect_stdout(io.StringIO()):\n"
                "    try: cli.main(['--help'])\n"
                "    except SystemExit: pass\n"
                "print('torch' in sys.modules, 'transformers' in sys.modules)")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=support.subprocess_env())
        self.assertEqual(proc.stdout.strip(), "False False", proc.stderr)


class TestPromptFiles(unittest.TestCase):
    def test_read_prompts(self):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "p.txt"
            p.write_text("# c\n\n one \r\ntwo\n#x\n", encoding="utf-8")
            self.assertEqual(read_prompts(str(p)), ["one", "two"])
            p.write_text("# only comments\n\n", encoding="utf-8")
            with self.assertRaisesRegex(UsageError, "holds no prompts"):
                read_prompts(str(p))
            j = Path(d) / "p.json"
            j.write_text(json.dumps(["line 1\nline 2", "", "x"]), encoding="utf-8")
            self.assertEqual(read_prompts(str(j)), ["line 1\nline 2", "x"])
            j.write_text("[1, 2]", encoding="utf-8")
            with self.assertRaisesRegex(UsageError, "list of strings"):
                read_prompts(str(j))
            b = Path(d) / "b.txt"
            b.write_bytes(b"\xff\xfe bad")
            with self.assertRaisesRegex(UsageError, "not UTF-8"):
                read_prompts(str(b))

    def test_parse_layers(self):
        self.assertIsNone(parse_layers("all"))
        self.assertEqual(parse_layers("0, 4,8"), [0, 4, 8])
        with self.assertRaisesRegex(UsageError, "duplicate"):
            parse_layers("1,1")
        with self.assertRaisesRegex(UsageError, "not a layer index"):
            parse_layers("-1")


if __name__ == "__main__":
    unittest.main()
