#!/usr/bin/env python3
"""Writes the .npz fixtures: runs whose states are NumPy archives, and hostile archives.

    python3 Tests/Fixtures/npz/make_npz_fixtures.py      # rewrites Tests/Fixtures/npz/*/

Every run here holds the states of Tests/Fixtures/runs/tree-f32 (read back from its
safetensors file by hand), so a Swift test can require that each archive gives exactly the
same matrices as the safetensors run:

- stored-f32/       numpy.savez (members stored), float32, plus a zero_pe variant
- compressed-f64/   numpy.savez_compressed (members deflated), float64: NumPy's default dtype
- compressed-f16/   numpy.savez_compressed, float16 (the states rounded to nearest f16)
- bad-dtype/, bad-shape/, fortran-order/: valid archives of arrays Forkscope must refuse
                    (r1.a as int32; r1.a missing a token; r1.a in Fortran order)

The hostile archives are written byte by byte (a small ZIP writer below), each beside the same
run.json so that only the archive is at fault. Each must be refused, quickly, with a one-line
error naming the archive and the member:

- bomb-lying-size/  p0's central entry declares its true size, but its deflate stream
                    inflates to 10 MB of zeros (stopped at the declared size)
- bomb-declared/    r1's entry declares 2**40 bytes through ZIP64 (refused before inflating)
- bomb-overlap/     r1.a's local header and data lie inside r1's bytes (the overlapping-files
                    construction of Fifield's "A better zip bomb")
- bomb-crc/         r1's data is right in size but its CRC-32 does not match
- bomb-truncated/   r1's deflate stream is cut short
- extra-member/     a valid archive plus "unused.npy", which declares and would inflate to
                    100 MB: it names no branch, so it must never be inflated and the run reads
"""
import io
import json
import os
import shutil
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "runs", "tree-f32")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32"
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype="<f4").reshape(entry["shape"])
    return out


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def write_run(folder, manifest, tensors_name, variants=None):
    os.makedirs(folder, exist_ok=True)
    manifest = dict(manifest, tensors=tensors_name, title=os.path.basename(folder))
    manifest.pop("variants", None)
    if variants:
        manifest["variants"] = variants
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)


def zip_archive(members):
    """A ZIP archive from `members`, dicts with: name, payload (the bytes as stored in the
    file), method (0 or 8), crc, size (declared uncompressed size), and optionally zip64 (write
    the declared size through a ZIP64 extra field) or local_at (reuse an offset already
    written: the member then has no header of its own)."""
    body = bytearray()
    central = bytearray()
    for m in members:
        name = m["name"].encode()
        if "local_at" in m:
            offset = m["local_at"]
        else:
            offset = len(body)
            body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, m["method"], 0, 0x21,
                                m["crc"], len(m["payload"]), m["size"] & 0xFFFFFFFF, len(name), 0)
            body += name + m["payload"]
        extra = b""
        size = m["size"]
        if m.get("zip64"):
            extra = struct.pack("<HHQ", 1, 8, size)
            size = 0xFFFFFFFF
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, m["method"], 0, 0x21,
                               m["crc"], len(m["payload"]), size, len(name), len(extra), 0, 0, 0, 0, offset)
        central += name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(body), 0)
    return bytes(body + central + end)


def deflated(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def member(name, data, method=8):
    payload = deflated(data) if method == 8 else data
    return {"name": name, "payload": payload, "method": method, "crc": zlib.crc32(data), "size": len(data)}


def main():
    states = read_safetensors(os.path.join(SOURCE, "activations.safetensors"))
    with open(os.path.join(SOURCE, "run.json")) as f:
        manifest = json.load(f)
    ids = [b["id"] for b in manifest["branches"]]
    for entry in os.listdir(HERE):
        if os.path.isdir(os.path.join(HERE, entry)):
            shutil.rmtree(os.path.join(HERE, entry))

    # Valid archives, as NumPy writes them. The zero_pe variant: the states reversed in sign.
    folder = os.path.join(HERE, "stored-f32")
    write_run(folder, manifest, "activations.npz", {"zero_pe": "activations.zero_pe.npz"})
    np.savez(os.path.join(folder, "activations.npz"), **{i: states[i] for i in ids})
    np.savez(os.path.join(folder, "activations.zero_pe.npz"), **{i: -states[i] for i in ids})

    folder = os.path.join(HERE, "compressed-f64")
    write_run(folder, manifest, "activations.npz")
    np.savez_compressed(os.path.join(folder, "activations.npz"), **{i: states[i].astype(np.float64) for i in ids})

    folder = os.path.join(HERE, "compressed-f16")
    write_run(folder, manifest, "states.npz")
    np.savez_compressed(os.path.join(folder, "states.npz"), **{i: states[i].astype(np.float16) for i in ids})

    for name, edit in [("bad-dtype", lambda a: a.astype(np.int32)), ("bad-shape", lambda a: a[:, 1:, :]),
                       ("fortran-order", np.asfortranarray)]:
        folder = os.path.join(HERE, name)
        write_run(folder, manifest, "activations.npz")
        np.savez(os.path.join(folder, "activations.npz"), **{i: edit(states[i]) if i == "r1.a" else states[i] for i in ids})

    # Hostile archives.
    def hostile(name, members):
        folder = os.path.join(HERE, name)
        write_run(folder, manifest, "activations.npz")
        with open(os.path.join(folder, "activations.npz"), "wb") as f:
            f.write(zip_archive(members))

    honest = {i: member(i + ".npy", npy_bytes(states[i])) for i in ids}
    lying = dict(honest["r1"], payload=deflated(npy_bytes(states["r1"]) + bytes(10_000_000)))
    hostile("bomb-lying-size", [lying] + [honest[i] for i in ids[1:]])

    huge = dict(honest["r1"], size=2 ** 40, zip64=True)
    hostile("bomb-declared", [huge] + [honest[i] for i in ids[1:]])

    # r1 stored, its payload being r1.a's whole local record; r1.a's entry points inside it.
    inner = member("r1.a.npy", npy_bytes(states["r1.a"]), method=0)
    record = zip_archive([inner])
    record = record[:30 + len(inner["name"]) + len(inner["payload"])]
    outer = member("r1.npy", record, method=0)
    hidden = dict(inner, local_at=30 + len("r1.npy"))
    hostile("bomb-overlap", [outer, hidden] + [honest[i] for i in ids if i not in ("r1", "r1.a")])

    hostile("bomb-crc", [dict(honest["r1"], crc=honest["r1"]["crc"] ^ 1)] + [honest[i] for i in ids[1:]])

    cut = dict(honest["r1"], payload=honest["r1"]["payload"][: len(honest["r1"]["payload"]) // 2])
    hostile("bomb-truncated", [cut] + [honest[i] for i in ids[1:]])

    unused = member("unused.npy", bytes(100_000_000))
    hostile("extra-member", [honest[i] for i in ids] + [unused])


if __name__ == "__main__":
    main()
