#!/usr/bin/env python3
"""Write S4D test files with numpy only (no safetensors or torch packages).

Usage: make_test_files.py OUTDIR

Writes into OUTDIR:
  params.safetensors   F32, H=3, M=2, S4D-Lin initialisation (names as in the S4
                       repository's models/s4/s4d.py), written by hand from the format
  input.npy            float64 (3, 50)
  input_batch.npy      float32 (2, 3, 50)
  expected.npy         float64 (3, 50): the S4D layer (SSM + D skip) applied to input
  expected_batch.npy   float64 (2, 3, 50): the same for each batch element
  params_bidir.safetensors  F32, a bidirectional layer: the tensors of params.safetensors
                       with C [2, H, M, 2] (forward C of params.safetensors, then a
                       backward C), the layout of the S4 repository's full kernel with
                       channels = 2
  expected_bidir.npy   float64 (3, 50): the bidirectional layer applied to input.npy
  expected_bidir_batch.npy  float64 (2, 3, 50): the same for input_batch.npy

The expected outputs use the parameters and inputs exactly as stored (float32 values
widened to float64), computed in float64 by the convolution form of the layer:
  y_t = sum_{s<=t} K0[t-s] u_s (+ sum_{s>t} K1[s-t-1] u_s when bidirectional) + D u_t.
The bidirectional files are drawn after everything else, so the other files do not
depend on them.
"""
import json
import os
import struct
import sys

import numpy as np

SEED = 20250721
H, M, L, BATCH = 3, 2, 50, 2


def make_params(rng):
    """S4D-Lin: A = -1/2 + i*pi*n, dt log-uniform in [1e-3, 1e-1], C and D normal."""
    log_dt = rng.uniform(np.log(1e-3), np.log(1e-1), size=H)
    log_A_real = np.full((H, M), np.log(0.5))
    A_imag = np.tile(np.pi * np.arange(M), (H, 1))
    C = rng.standard_normal((H, M, 2))  # last axis: real, imaginary
    D = rng.standard_normal(H)
    params = {"log_dt": log_dt, "log_A_real": log_A_real, "A_imag": A_imag, "C": C, "D": D}
    return {name: value.astype(np.float32) for name, value in params.items()}


def write_safetensors_f32(path, tensors):
    """8-byte little-endian header length, JSON header, then the data buffer."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt", "source": "tests/python/make_test_files.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def s4d_kernel(p, C=None):
    """K[h, l] = 2 Re(sum_n C'[h, n] exp(dt A)[h, n]^l), C' = C (exp(dt A) - 1) / A,
    with C = p["C"] unless given (shape (H, M, 2))."""
    dt = np.exp(p["log_dt"].astype(np.float64))
    A = -np.exp(p["log_A_real"].astype(np.float64)) + 1j * p["A_imag"].astype(np.float64)
    C = (p["C"] if C is None else C).astype(np.float64)
    dtA = dt[:, None] * A
    Cc = (C[..., 0] + 1j * C[..., 1]) * (np.exp(dtA) - 1.0) / A
    powers = np.exp(dtA)[:, :, None] ** np.arange(L)[None, None, :]  # (H, M, L)
    return 2.0 * np.real(np.einsum("hn,hnl->hl", Cc, powers))


def s4d_layer(K, D, u):
    """y[h, t] = sum_{s<=t} K[h, t-s] u[h, s] + D[h] u[h, t] for u of shape (H, L)."""
    y = np.zeros_like(u)
    for h in range(H):
        y[h] = np.convolve(K[h], u[h])[:L]
    return y + D[:, None] * u


def s4d_layer_bidir(K0, K1, D, u):
    """y[h, t] = sum_{s<=t} K0[h, t-s] u[h, s] + sum_{s>t} K1[h, s-t-1] u[h, s] + D[h] u[h, t]."""
    y = s4d_layer(K0, D, u)
    for h in range(H):
        for t in range(L - 1):
            y[h, t] += np.dot(K1[h, : L - 1 - t], u[h, t + 1:])
    return y


def s4d_layer_bidir_fft(K0, K1, D, u):
    """The S4 repository's form: kernel pad(K0, (0, L)) + pad(flip(K1), (L, 0)) applied by
    a circular convolution of length 2L. Used only to check s4d_layer_bidir."""
    k = np.concatenate([K0, K1[:, ::-1]], axis=1)  # (H, 2L)
    y = np.fft.irfft(np.fft.rfft(u, n=2 * L) * np.fft.rfft(k, n=2 * L), n=2 * L)[:, :L]
    return y + D[:, None] * u


def s4d_layer_recurrent(p, u):
    """The same layer as a recurrence: x_k = exp(dt A) x_{k-1} + u_k,
    y_k = 2 Re(sum_n C'_n x_k[n]) + D u_k. Used only to check s4d_layer."""
    dt = np.exp(p["log_dt"].astype(np.float64))
    A = -np.exp(p["log_A_real"].astype(np.float64)) + 1j * p["A_imag"].astype(np.float64)
    C = p["C"].astype(np.float64)
    Abar = np.exp(dt[:, None] * A)
    Cc = (C[..., 0] + 1j * C[..., 1]) * (Abar - 1.0) / A
    x = np.zeros((H, M), dtype=np.complex128)
    y = np.zeros_like(u)
    for k in range(L):
        x = Abar * x + u[:, k][:, None]
        y[:, k] = 2.0 * np.real(np.sum(Cc * x, axis=1))
    return y + p["D"].astype(np.float64)[:, None] * u


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_files.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    params = make_params(rng)
    u = rng.standard_normal((H, L))  # float64
    u_batch = rng.standard_normal((BATCH, H, L)).astype(np.float32)

    K = s4d_kernel(params)
    D = params["D"].astype(np.float64)
    y = s4d_layer(K, D, u)
    y_batch = np.stack([s4d_layer(K, D, u_batch[b].astype(np.float64)) for b in range(BATCH)])

    # The two forms of the layer are the same function: a bug in either shows here.
    for uu, yy in [(u, y)] + [(u_batch[b].astype(np.float64), y_batch[b]) for b in range(BATCH)]:
        err = np.max(np.abs(s4d_layer_recurrent(params, uu) - yy))
        if not err <= 1e-12 * max(1.0, np.max(np.abs(yy))):
            sys.exit("convolution and recurrence disagree by %g" % err)

    # Bidirectional layer: the same tensors, C stacked with a backward C drawn last.
    C_backward = rng.standard_normal((H, M, 2)).astype(np.float32)
    params_bidir = dict(params)
    params_bidir["C"] = np.stack([params["C"], C_backward])  # (2, H, M, 2)
    K1 = s4d_kernel(params, C_backward)
    y_bidir = s4d_layer_bidir(K, K1, D, u)
    y_bidir_batch = np.stack([s4d_layer_bidir(K, K1, D, u_batch[b].astype(np.float64))
                              for b in range(BATCH)])
    for uu, yy in [(u, y_bidir)] + [(u_batch[b].astype(np.float64), y_bidir_batch[b])
                                    for b in range(BATCH)]:
        err = np.max(np.abs(s4d_layer_bidir_fft(K, K1, D, uu) - yy))
        if not err <= 1e-12 * max(1.0, np.max(np.abs(yy))):
            sys.exit("bidirectional direct and FFT convolutions disagree by %g" % err)

    write_safetensors_f32(os.path.join(out, "params.safetensors"), params)
    np.save(os.path.join(out, "input.npy"), u)
    np.save(os.path.join(out, "input_batch.npy"), u_batch)
    np.save(os.path.join(out, "expected.npy"), y)
    np.save(os.path.join(out, "expected_batch.npy"), y_batch)
    write_safetensors_f32(os.path.join(out, "params_bidir.safetensors"), params_bidir)
    np.save(os.path.join(out, "expected_bidir.npy"), y_bidir)
    np.save(os.path.join(out, "expected_bidir_batch.npy"), y_bidir_batch)


if __name__ == "__main__":
    main()
