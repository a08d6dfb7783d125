#!/usr/bin/env python3
"""Write the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<harness>/).

Usage: make_corpus.py BUILD_DIR     (a configured and built folder with the project's
                                     libraries, e.g. build/; for make_seeds.cpp)

Small valid and near-valid files: .npy of every accepted dtype and rank and a few that
break one rule; safetensors the same way; the shipped scenarios and technology table,
scenarios with --set overrides after a "####" line; whole-model seeds (description,
seeded weights, inputs, lengths) and command streams from the project's encoders
(make_seeds.cpp). Inputs that once crashed a harness live in the same folders under
names starting with "regression-" and are never rewritten by this script.
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
SEP = b"\n####\n"


def put(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy_bytes(array, version=(1, 0), descr=None, fortran=False, extra=b""):
    descr = descr or array.dtype.str
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, fortran, repr(tuple(array.shape)))
    lenfmt = "<H" if version == (1, 0) else "<I"
    pre = 6 + 2 + struct.calcsize(lenfmt)
    header = header + " " * (-(pre + len(header) + 1) % 64) + "\n"
    return (b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, len(header)) + header.encode()
            + array.tobytes() + extra)


def safetensors_bytes(tensors, metadata=None, pad=True, hole=0):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = array.tobytes()
        dtype = {"<f4": "F32", "<f8": "F64", "<i4": "I32", "<i8": "I64"}[array.dtype.str]
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob + b"\0" * hole)
        offset += len(blob) + hole
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    for d in glob.glob(os.path.join(CORPUS, "*")):
        for f in glob.glob(os.path.join(d, "*")):
            if not os.path.basename(f).startswith("regression-"):
                os.remove(f)
    rng = np.random.default_rng(20261204)

    # .npy
    a = rng.standard_normal((2, 3))
    put("npy", "f8_2x3.npy", npy_bytes(a))
    put("npy", "f4_3.npy", npy_bytes(rng.standard_normal(3).astype("<f4")))
    put("npy", "i4_2x2x2.npy", npy_bytes(np.arange(8, dtype="<i4").reshape(2, 2, 2)))
    put("npy", "i8_scalar.npy", npy_bytes(np.array(42, dtype="<i8")))
    put("npy", "f4_empty.npy", npy_bytes(np.zeros((0, 4), dtype="<f4")))
    put("npy", "v2_f8.npy", npy_bytes(a, version=(2, 0)))
    put("npy", "v3_f4.npy", npy_bytes(a.astype("<f4"), version=(3, 0)))
    put("npy", "near_fortran.npy", npy_bytes(a, fortran=True))
    put("npy", "near_big_endian.npy", npy_bytes(a.astype(">f8"), descr=">f8"))
    put("npy", "near_truncated.npy", npy_bytes(a)[:-5])
    put("npy", "near_trailing.npy", npy_bytes(a, extra=b"\0\0\0\0"))
    put("npy", "near_nan.npy", npy_bytes(np.array([1.0, np.nan])))
    put("npy", "near_f2.npy", npy_bytes(np.ones(3, dtype="<f2")))

    # safetensors
    t = {"log_dt": rng.standard_normal(3).astype("<f4"),
         "C": rng.standard_normal((3, 2, 2)).astype("<f4")}
    put("safetensors", "f32.safetensors", safetensors_bytes(t, {"format": "pt"}))
    put("safetensors", "mixed.safetensors", safetensors_bytes(
        {"a": np.arange(4, dtype="<i4"), "b": np.arange(3, dtype="<i8"),
         "c": rng.standard_normal((2, 2)), "s": np.array(1.5, dtype="<f4")}))
    put("safetensors", "empty_tensor.safetensors", safetensors_bytes({"z": np.zeros((0, 3), "<f4")}))
    put("safetensors", "unpadded.safetensors", safetensors_bytes(t, pad=False))
    put("safetensors", "near_hole.safetensors", safetensors_bytes(t, hole=4))
    put("safetensors", "near_truncated.safetensors", safetensors_bytes(t)[:-3])
    put("safetensors", "near_header_len.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    put("safetensors", "empty_header.safetensors", struct.pack("<Q", 2) + b"{}")

    # scenarios: the shipped ones, and overrides after "####"
    for path in sorted(glob.glob(os.path.join(ROOT, "scenarios", "**", "*.yaml"), recursive=True)):
        rel = os.path.relpath(path, os.path.join(ROOT, "scenarios"))
        if rel.startswith("tech"):
            continue
        put("scenario", rel.replace(os.sep, "_"), open(path, "rb").read())
    put("scenario", "set_gemm", b"name: g\n" + SEP + b"workload.kind=gemm\nworkload.gemm_m=64\n")
    put("scenario", "set_fast", SEP + b"run.timing=fast\narray.rows=8\narray.cols=8\n")
    put("scenario", "set_quoted", b"description: 'a, b'\n" + SEP + b"name=\"x: y\"\n")
    put("scenario", "flow_map", b"{array: {rows: 4, cols: 4}, workload: {length: 64}}\n")
    put("scenario", "comma_document", b",\n")

    # technology table
    tech = open(os.path.join(ROOT, "scenarios", "tech", "45nm.yaml"), "rb").read()
    put("tech_table", "45nm.yaml", tech)
    put("tech_table", "45nm_flow.yaml", tech.replace(b"\n\n", b"\n"))
    put("tech_table", "comma_document", b"---\n,\n")
    put("model", "comma_document", b"[a],\n")

    # whole models and command streams: the project's writers and encoders
    exe = os.path.join(build, "make_seeds")
    libs = [os.path.join(build, f"libec_{n}.a") for n in ("platform_io", "maths", "description", "contract")]
    subprocess.run(["g++", "-std=c++17", "-O1", "-I", os.path.join(build, "include"),
                    os.path.join(HERE, "make_seeds.cpp"), *libs, "-lyaml-cpp", "-o", exe], check=True)
    for d in ("model", "commands"):
        os.makedirs(os.path.join(CORPUS, d), exist_ok=True)
    subprocess.run([exe, CORPUS], check=True)
    os.remove(exe)


if __name__ == "__main__":
    main()
