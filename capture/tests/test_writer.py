"""RunWriter and the safetensors / npz files it writes (NumPy; torch and the safetensors
package are used only as independent references)."""

import json
import os
import shutil
import struct
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import numpy as np

import support  # noqa: F401  (import path, threads)
from forkscope_capture import RunWriter, read_run, read_safetensors
from forkscope_capture import writer as writer_mod
from forkscope_capture.safetensors_io import bf16_bits_to_float32, float32_to_bf16_bits

try:
    import torch
except ImportError:  # pragma: no cover - torch is installed where these tests run
    torch = None
try:
    import safetensors  # noqa: F401
    from safetensors import safe_open
except ImportError:  # pragma: no cover
    safe_open = None

L, H = 3, 8


def make_writer(seed=0, variants=True, scale=1.0):
    """root p0 (5 tokens) -> child p0.s1 (4 tokens, fork_at 5) -> grandchild (3 tokens, fork_at 2)."""
    rng = np.random.default_rng(seed)
    w = RunWriter("demo \u00e9t\u00e9 \U0001F331", "tiny-model", model_version="v1", positional_encoding="rope",
                  layers=[0, 1, 2], hidden_size=H)

    def st(n):
        return (rng.standard_normal((L, n, H)) * scale).astype(np.float32)

    def var(n):
        return {"zero_pe": st(n)} if variants else None

    w.add_branch("p0", ["<bos>", " the", " caf\u00e9", " \ud83d", " \u00e9"], [0, 1, 2, 3, 4], st(5),
                 label="prompt: the caf\u00e9", logprobs=[float("nan"), -1.5, -0.25, -3.0, -0.0],
                 variants=var(5), text="the caf\u00e9")
    w.add_branch("p0.s1", [" a", " b", " c", " d"], [5, 6, 7, 8], st(4), parent="p0", fork_at=5,
                 label="sample 1", logprobs=[-1.0, -2.0, None, -0.5], variants=var(4))
    w.add_branch("p0.s1.f1", [" x", " y", " z"], [7, 8, 9], st(3), parent="p0.s1", fork_at=2,
                 variants=var(3), group="g")
    return w


class TempDirCase(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="fc-writer-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def leftovers(self):
        return sorted(p.name for p in self.tmp.iterdir() if p.name.startswith("."))


class TestSafetensorsLayout(TempDirCase):
    def test_header_and_offsets(self):
        w = make_writer()
        res = w.write(self.tmp / "run", dtype="f16")
        path = self.tmp / "run" / "activations.safetensors"
        raw = path.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual(n % 8, 0, "header must be padded to a multiple of 8")
        header = json.loads(raw[8:8 + n].decode("utf-8"))
        self.assertTrue(raw[8:8 + n].rstrip(b" ").endswith(b"}"), "padding must be spaces")
        names = [k for k in header if k != "__metadata__"]
        self.assertEqual(names, ["p0", "p0.s1", "p0.s1.f1"])
        offset = 0
        for name, ntok in zip(names, [5, 4, 3]):
            info = header[name]
            self.assertEqual(info["dtype"], "F16")
            self.assertEqual(info["shape"], [L, ntok, H])
            self.assertEqual(info["data_offsets"], [offset, offset + L * ntok * H * 2])
            offset = info["data_offsets"][1]
        self.assertEqual(len(raw), 8 + n + offset, "tensors back to back, nothing after them")
        self.assertEqual(dict(res.files)["activations.safetensors"], len(raw))

    def test_roundtrip_all_dtypes_own_reader(self):
        w = make_writer()
        for dtype in ("f32", "f16", "bf16"):
            if dtype == "bf16" and torch is None:
                self.skipTest("torch is needed as the bf16 reference (f32 and f16 were checked)")
            out = self.tmp / dtype
            w.write(out, dtype=dtype)
            for fname, key in (("activations.safetensors", None), ("activations.zero_pe.safetensors", "zero_pe")):
                got = read_safetensors(out / fname)
                self.assertEqual(list(got), ["p0", "p0.s1", "p0.s1.f1"])
                for b in w.branches:
                    src = b.states if key is None else b.variants[key]
                    if dtype == "f32":
                        expect = src
                    elif dtype == "f16":
                        expect = src.astype(np.float16).astype(np.float32)
                    else:
                        expect = torch.from_numpy(src).to(torch.bfloat16).float().numpy()
                    np.testing.assert_array_equal(got[b.id], expect, err_msg=f"{dtype} {fname} {b.id}")

    @unittest.skipIf(safe_open is None or torch is None, "needs the safetensors package and torch (bf16)")
    def test_roundtrip_with_safetensors_package(self):
        w = make_writer(seed=3)
        for dtype in ("f32", "f16", "bf16"):
            out = self.tmp / dtype
            w.write(out, dtype=dtype)
            path = str(out / "activations.safetensors")
            if dtype == "bf16":
                # NumPy has no bfloat16: read through torch and compare with torch's own conversion
                with safe_open(path, framework="pt") as f:
                    self.assertEqual(list(f.keys()), ["p0", "p0.s1", "p0.s1.f1"])
                    self.assertEqual(f.metadata().get("format"), "forkscope.run/1")
                    for b in w.branches:
                        t = f.get_tensor(b.id)
                        self.assertEqual(t.dtype, torch.bfloat16)
                        self.assertTrue(torch.equal(t, torch.from_numpy(b.states).to(torch.bfloat16)))
            else:
                with safe_open(path, framework="numpy") as f:
                    for b in w.branches:
                        a = f.get_tensor(b.id)
                        self.assertEqual(a.dtype, np.float32 if dtype == "f32" else np.float16)
                        np.testing.assert_array_equal(a, b.states.astype(a.dtype))

    @unittest.skipIf(torch is None, "torch is the bf16 reference")
    def test_bf16_round_to_nearest_even_matches_torch(self):
        rng = np.random.default_rng(7)
        vals = np.concatenate([
            rng.standard_normal(20000).astype(np.float32) * 10.0 ** rng.integers(-30, 30, 20000),
            # exact ties (the dropped 16 bits are 0x8000) must round to the even neighbour
            (np.arange(0, 4096, dtype=np.uint32) << 16 | 0x8000).view(np.float32)[1:],
            np.array([0.0, -0.0, 1.0, -1.0, 1e-40, -1e-40, 3.0e38, -3.0e38, 65504.0, np.float32(1 + 2 ** -8),
                      np.float32(1 + 3 * 2 ** -8), np.float32(1 + 2 ** -7 + 2 ** -8)], dtype=np.float32),
        ]).astype(np.float32)
        vals = vals[np.isfinite(vals)]
        ours = float32_to_bf16_bits(vals)
        ref = torch.from_numpy(vals).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
        np.testing.assert_array_equal(ours, ref)
        np.testing.assert_array_equal(bf16_bits_to_float32(ours), torch.from_numpy(vals).to(torch.bfloat16).float().numpy())
        self.assertEqual(float32_to_bf16_bits(np.array([1 + 2 ** -8], np.float32))[0], 0x3F80, "tie to even (down)")
        self.assertEqual(float32_to_bf16_bits(np.array([1 + 3 * 2 ** -8], np.float32))[0], 0x3F82, "tie to even (up)")


class TestManifest(TempDirCase):
    def test_run_json(self):
        w = make_writer()
        w.write(self.tmp / "run")
        raw = (self.tmp / "run" / "run.json").read_bytes()
        self.assertIn("caf\u00e9".encode("utf-8"), raw, "ensure_ascii=False: UTF-8, not \\u escapes")
        doc = json.loads(raw.decode("utf-8"))
        self.assertEqual(doc["format"], "forkscope.run/1")
        self.assertEqual(doc["title"], "demo \u00e9t\u00e9 \U0001F331")
        self.assertEqual(doc["model"], {"name": "tiny-model", "version": "v1", "positional_encoding": "rope"})
        self.assertEqual(doc["layers"], [0, 1, 2])
        self.assertEqual(doc["hidden_size"], H)
        self.assertEqual(doc["tensors"], "activations.safetensors")
        self.assertEqual(doc["variants"], {"zero_pe": "activations.zero_pe.safetensors"})
        b0, b1, b2 = doc["branches"]
        self.assertEqual((b0["id"], b0["parent"], b0["fork_at"]), ("p0", None, None))
        self.assertEqual((b1["id"], b1["parent"], b1["fork_at"]), ("p0.s1", "p0", 5))
        self.assertEqual((b2["id"], b2["parent"], b2["fork_at"]), ("p0.s1.f1", "p0.s1", 2))
        self.assertEqual(b0["tokens"][3], " \ufffd", "a lone surrogate is written as U+FFFD")
        self.assertEqual(b0["logprobs"], [None, -1.5, -0.25, -3.0, -0.0], "NaN logprob -> null")
        self.assertEqual(b1["logprobs"], [-1.0, -2.0, None, -0.5])
        self.assertNotIn("logprobs", b2)
        self.assertNotIn("label", b2)
        self.assertEqual(b0["text"], "the caf\u00e9")
        self.assertEqual(b2["group"], "g")
        self.assertEqual(b0["positions"], [0, 1, 2, 3, 4])
        run = read_run(self.tmp / "run")
        self.assertEqual(set(run.variants), {"zero_pe"})

    def test_no_variants(self):
        w = make_writer(variants=False)
        res = w.write(self.tmp / "run")
        doc = json.loads((self.tmp / "run" / "run.json").read_text(encoding="utf-8"))
        self.assertNotIn("variants", doc)
        self.assertEqual([f for f, _ in res.files], ["run.json", "activations.safetensors"])
        self.assertEqual(sorted(os.listdir(self.tmp / "run")), ["activations.safetensors", "run.json"])


class TestNpz(TempDirCase):
    def test_npz_roundtrip(self):
        w = make_writer()
        for dtype in ("f16", "f32"):
            out = self.tmp / dtype
            res = w.write(out, dtype=dtype, container="npz")
            self.assertEqual(sorted(os.listdir(out)), ["activations.npz", "activations.zero_pe.npz", "run.json"])
            doc = json.loads((out / "run.json").read_text(encoding="utf-8"))
            self.assertEqual(doc["tensors"], "activations.npz")
            self.assertEqual(doc["variants"], {"zero_pe": "activations.zero_pe.npz"})
            with np.load(out / "activations.npz") as z:
                self.assertEqual(sorted(z.files), ["p0", "p0.s1", "p0.s1.f1"])
                for b in w.branches:
                    self.assertEqual(z[b.id].dtype, np.float16 if dtype == "f16" else np.float32)
                    np.testing.assert_array_equal(z[b.id], b.states.astype(z[b.id].dtype))
            with np.load(out / "activations.zero_pe.npz") as z:
                for b in w.branches:
                    np.testing.assert_array_equal(z[b.id].astype(np.float32),
                                                  b.variants["zero_pe"].astype(z[b.id].dtype).astype(np.float32))
            self.assertEqual(res.container, "npz")

    def test_npz_any_id(self):
        # ids that are np.savez keyword names still work
        w = RunWriter("t", "m", layers=[0], hidden_size=2)
        w.add_branch("file", ["a"], [0], np.ones((1, 1, 2)))
        w.add_branch("allow_pickle", ["b"], [1], np.zeros((1, 1, 2)), parent="file", fork_at=1)
        w.write(self.tmp / "run", container="npz", dtype="f32")
        with np.load(self.tmp / "run" / "activations.npz") as z:
            self.assertEqual(sorted(z.files), ["allow_pickle", "file"])
            np.testing.assert_array_equal(z["file"], np.ones((1, 1, 2), np.float32))

    def test_bf16_npz_refused(self):
        w = make_writer()
        with self.assertRaisesRegex(ValueError, r"bf16 cannot be stored in npz.*NumPy dtype"):
            w.write(self.tmp / "run", dtype="bf16", container="npz")
        self.assertFalse((self.tmp / "run").exists())


class TestValidation(unittest.TestCase):
    def setUp(self):
        self.w = RunWriter("t", "m", layers=[0, 1], hidden_size=4)
        self.w.add_branch("p0", ["a", "b", "c"], [0, 1, 2], np.zeros((2, 3, 4)))

    def ok(self, n):
        return np.zeros((2, n, 4), np.float32)

    def test_constructor(self):
        with self.assertRaisesRegex(ValueError, "layers must be distinct"):
            RunWriter("t", "m", layers=[0, 0], hidden_size=4)
        with self.assertRaisesRegex(ValueError, "hidden_size"):
            RunWriter("t", "m", layers=[0], hidden_size=0)
        with self.assertRaisesRegex(ValueError, "model_name"):
            RunWriter("t", "", layers=[0], hidden_size=2)
        with self.assertRaisesRegex(ValueError, "layers must be a non-empty"):
            RunWriter("t", "m", layers=[], hidden_size=2)

    def test_ids(self):
        with self.assertRaisesRegex(ValueError, r"branch 'p0': id is not unique"):
            self.w.add_branch("p0", ["x"], [0], self.ok(1))
        with self.assertRaisesRegex(ValueError, "non-empty string"):
            self.w.add_branch("", ["x"], [0], self.ok(1))
        with self.assertRaisesRegex(ValueError, "reserved"):
            self.w.add_branch("__metadata__", ["x"], [0], self.ok(1))

    def test_parent(self):
        with self.assertRaisesRegex(ValueError, r"branch 'c': parent 'nope' is unknown"):
            self.w.add_branch("c", ["x"], [3], self.ok(1), parent="nope", fork_at=1)
        with self.assertRaisesRegex(ValueError, r"branch 'c': fork_at is required"):
            self.w.add_branch("c", ["x"], [3], self.ok(1), parent="p0")
        with self.assertRaisesRegex(ValueError, r"branch 'c': fork_at is given but parent is not"):
            self.w.add_branch("c", ["x"], [3], self.ok(1), fork_at=1)

    def test_fork_at_range(self):
        for bad in (0, 4, -1, 1.5, True):
            with self.assertRaisesRegex(ValueError, r"branch 'c': fork_at = .* out of range 1\.\.3"):
                self.w.add_branch("c", ["x"], [3], self.ok(1), parent="p0", fork_at=bad)
        self.w.add_branch("c1", ["x"], [1], self.ok(1), parent="p0", fork_at=1)
        self.w.add_branch("c3", ["x"], [3], self.ok(1), parent="p0", fork_at=3)

    def test_tokens_positions_logprobs(self):
        with self.assertRaisesRegex(ValueError, r"branch 'c': tokens must not be empty"):
            self.w.add_branch("c", [], [], np.zeros((2, 0, 4)))
        with self.assertRaisesRegex(ValueError, r"branch 'c': tokens\[1\] is int"):
            self.w.add_branch("c", ["a", 5], [0, 1], self.ok(2))
        with self.assertRaisesRegex(ValueError, r"branch 'c': tokens must be a list"):
            self.w.add_branch("c", "ab", [0, 1], self.ok(2))
        with self.assertRaisesRegex(ValueError, r"branch 'c': positions has 1 entries, tokens has 2"):
            self.w.add_branch("c", ["a", "b"], [0], self.ok(2))
        with self.assertRaisesRegex(ValueError, r"branch 'c': positions\[1\] = -1"):
            self.w.add_branch("c", ["a", "b"], [0, -1], self.ok(2))
        with self.assertRaisesRegex(ValueError, r"branch 'c': positions\[0\] = 0.5"):
            self.w.add_branch("c", ["a", "b"], [0.5, 1], self.ok(2))
        with self.assertRaisesRegex(ValueError, r"branch 'c': logprobs has 1 entries, tokens has 2"):
            self.w.add_branch("c", ["a", "b"], [0, 1], self.ok(2), logprobs=[-1.0])
        with self.assertRaisesRegex(ValueError, r"branch 'c': logprobs\[1\] = 'x'"):
            self.w.add_branch("c", ["a", "b"], [0, 1], self.ok(2), logprobs=[-1.0, "x"])
        with self.assertRaisesRegex(ValueError, r"branch 'c': logprobs\[0\] is infinite"):
            self.w.add_branch("c", ["a", "b"], [0, 1], self.ok(2), logprobs=[float("-inf"), -1.0])

    def test_shape(self):
        with self.assertRaisesRegex(ValueError, r"branch 'c': states has shape \[2, 2, 3\], expected \[len\(layers\)=2, len\(tokens\)=2, hidden_size=4\]"):
            self.w.add_branch("c", ["a", "b"], [0, 1], np.zeros((2, 2, 3)))
        with self.assertRaisesRegex(ValueError, r"branch 'c': states has shape \[2, 4\]"):
            self.w.add_branch("c", ["a", "b"], [0, 1], np.zeros((2, 4)))
        w = RunWriter("t", "m", layers=[0, 1], hidden_size=4)
        with self.assertRaisesRegex(ValueError, r"branch 'c': variant 'zero_pe' has shape \[2, 1, 4\]"):
            w.add_branch("c", ["a", "b"], [0, 1], self.ok(2), variants={"zero_pe": self.ok(1)})
        self.assertEqual(len(w), 0, "a rejected branch is not added")

    def test_non_finite(self):
        s = self.ok(2)
        s[1, 1, 3] = np.nan
        with self.assertRaisesRegex(ValueError, r"branch 'c': states holds a non-finite value \(nan\) at layer 1 \(index 1\), token 1, dimension 3"):
            self.w.add_branch("c", ["a", "b"], [0, 1], s)
        s[1, 1, 3] = np.inf
        with self.assertRaisesRegex(ValueError, r"non-finite value \(inf\)"):
            self.w.add_branch("c", ["a", "b"], [0, 1], s)

    def test_variant_sets(self):
        w = RunWriter("t", "m", layers=[0], hidden_size=2)
        w.add_branch("a", ["x"], [0], np.zeros((1, 1, 2)), variants={"zero_pe": np.zeros((1, 1, 2))})
        with self.assertRaisesRegex(ValueError, r"branch 'b': variants \[\] differ from the earlier branches' \['zero_pe'\]"):
            w.add_branch("b", ["x"], [0], np.zeros((1, 1, 2)))
        with self.assertRaisesRegex(ValueError, r"branch 'b': variants \['other', 'zero_pe'\] differ"):
            w.add_branch("b", ["x"], [0], np.zeros((1, 1, 2)),
                         variants={"zero_pe": np.zeros((1, 1, 2)), "other": np.zeros((1, 1, 2))})
        w2 = RunWriter("t", "m", layers=[0], hidden_size=2)
        w2.add_branch("a", ["x"], [0], np.zeros((1, 1, 2)))
        with self.assertRaisesRegex(ValueError, r"branch 'b': variants \['zero_pe'\] differ from the earlier branches' \[\]"):
            w2.add_branch("b", ["x"], [0], np.zeros((1, 1, 2)), variants={"zero_pe": np.zeros((1, 1, 2))})

    def test_extras(self):
        self.w.add_branch("c", ["a"], [0], self.ok(1), group="g", n_prompt_tokens=3, text="a")
        with self.assertRaisesRegex(ValueError, r"branch 'd': extra fields must be JSON values"):
            self.w.add_branch("d", ["a"], [0], self.ok(1), note=object())
        with self.assertRaisesRegex(ValueError, r"branch 'd': extra fields must be JSON values"):
            self.w.add_branch("d", ["a"], [0], self.ok(1), score=float("nan"))

    def test_f16_overflow(self):
        w = RunWriter("t", "m", layers=[0, 1], hidden_size=4)
        s = np.zeros((2, 3, 4), np.float32)
        s[1, 2, 0] = 70000.0
        w.add_branch("p0", ["a", "b", "c"], [0, 1, 2], s)
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(ValueError, r"branch 'p0': states value 70000.0 at layer 1 \(index 1\), token 2, dimension 0 overflows f16 .*65504.*use dtype 'bf16' or 'f32'"):
                w.write(Path(d) / "run", dtype="f16")
            self.assertEqual(os.listdir(d), [], "nothing left behind")
            w.write(Path(d) / "run_bf16", dtype="bf16")
            w.write(Path(d) / "run_f32", dtype="f32")
        w2 = RunWriter("t", "m", layers=[0], hidden_size=2)
        w2.add_branch("p0", ["a"], [0], np.array([[[65504.0, -65519.0]]]))  # both round to +-65504: fine
        with tempfile.TemporaryDirectory() as d:
            w2.write(Path(d) / "run", dtype="f16")
            np.testing.assert_array_equal(read_run(Path(d) / "run").tensors["p0"], [[[65504.0, -65504.0]]])

    def test_write_args(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaisesRegex(ValueError, "dtype must be one of"):
                self.w.write(Path(d) / "r", dtype="f64")
            with self.assertRaisesRegex(ValueError, "container must be"):
                self.w.write(Path(d) / "r", container="hdf5")
            with self.assertRaisesRegex(ValueError, "no branches"):
                RunWriter("t", "m", layers=[0], hidden_size=2).write(Path(d) / "r")


class TestAtomicWrite(TempDirCase):
    def test_refuse_then_overwrite(self):
        out = self.tmp / "run"
        make_writer(seed=1).write(out, dtype="f32")
        before = read_run(out).tensors["p0"].copy()
        with self.assertRaisesRegex(ValueError, r"exists and is not empty; pass overwrite=True"):
            make_writer(seed=2).write(out, dtype="f32")
        np.testing.assert_array_equal(read_run(out).tensors["p0"], before)
        make_writer(seed=2).write(out, dtype="f32", overwrite=True)
        after = read_run(out).tensors["p0"]
        np.testing.assert_array_equal(after, make_writer(seed=2).branches[0].states)
        self.assertEqual(self.leftovers(), [], "no temp or backup folders left")

    def test_existing_empty_folder_is_used(self):
        out = self.tmp / "run"
        out.mkdir()
        make_writer().write(out)
        self.assertTrue((out / "run.json").is_file())

    def test_target_is_a_file(self):
        (self.tmp / "run").write_text("x")
        with self.assertRaisesRegex(ValueError, "is not a folder"):
            make_writer().write(self.tmp / "run", overwrite=True)

    def test_failure_keeps_old_run(self):
        out = self.tmp / "run"
        make_writer(seed=1).write(out, dtype="f32")
        old = (out / "run.json").read_bytes()
        with mock.patch.object(writer_mod, "write_safetensors", side_effect=OSError("disk full")):
            with self.assertRaisesRegex(OSError, "disk full"):
                make_writer(seed=2).write(out, dtype="f32", overwrite=True)
        self.assertEqual((out / "run.json").read_bytes(), old)
        self.assertEqual(self.leftovers(), [], "the half-written temp folder is removed")
        # overflow found before anything is written, also with overwrite
        w = RunWriter("t", "m", layers=[0], hidden_size=1)
        w.add_branch("p0", ["a"], [0], np.array([[[1e6]]]))
        with self.assertRaisesRegex(ValueError, "overflows f16"):
            w.write(out, overwrite=True)
        self.assertEqual((out / "run.json").read_bytes(), old)
        self.assertEqual(self.leftovers(), [])

    def test_nested_out_dir_created(self):
        out = self.tmp / "a" / "b" / "run"
        res = make_writer().write(out)
        self.assertTrue((out / "run.json").is_file())
        self.assertEqual(res.n_branches, 3)
        self.assertEqual(res.n_tokens, 12)
        self.assertIn("3 branches, 12 tokens, 3 layers, 3 files", res.summary())


if __name__ == "__main__":
    unittest.main()
