#!/usr/bin/env python3
"""Build or load an S4D model in PyTorch and export it for EpochCore (docs/models.md).

Written for Debian's python3-torch (tested with 1.13), python3-numpy and python3-yaml; no
other packages (safetensors and .npy files are written by hand / with numpy). Tested by
tests/unit/test_torch_export.cpp (tag [torch]): for small models of every option the
logits of s4_model_forward on the files written here agree with PyTorch's float64 logits
to about 1e-15 relative.

Usage:
  export_s4_model.py --model MODEL.yaml --out-dir DIR [--checkpoint STATE_DICT.pt]
                     [--s4-repo-names] [--seed 1] [--batch 4] [--dtype F32|F64]
                     [--no-lengths]

Writes into DIR:
  model.yaml             the model description (the keys of docs/models.md)
  weights.safetensors    every tensor of docs/models.md, F32 (default) or F64
  inputs.npy             seeded inputs: int64 token ids (B, L) / (B, 2, L) for retrieval,
                         or float32 values (B, L, d_input) / (B, 2, L, d_input)
  lengths.npy            int64 valid lengths (B,) / (B, 2) (not with --no-lengths)
  expected_logits.npy    float64 (B, classes): PyTorch's output for these inputs, computed
                         in float64 from the weights exactly as written to the file

Without --checkpoint the model is initialised from --seed (S4D-Lin SSMs as the S4
repository's models/s4/s4d.py, torch defaults elsewhere, norms perturbed from identity so
that they matter). With --checkpoint, a state_dict saved by torch.save is loaded; its keys
must be the names of docs/models.md, or, with --s4-repo-names, those of an S4 repository
checkpoint, renamed as docs/models.md describes (best effort; anything that cannot be
mapped is reported by name).

The model computed here is the one of models/reference/s4_model_reference.h:
encoder -> n_layers x [prenorm? -> mask padding -> S4D (+D) -> GELU -> Linear H->2H -> GLU
-> residual -> postnorm?] -> final norm if prenorm -> mean over the valid length ->
decoder (or the retrieval head on [a, b, a-b, a*b]).

With `block: liquid_s4` (docs/models.md "Liquid-S4 blocks") each SSM is a Liquid-S4 SSM: the
repository raminmh/liquid-s4's liquid forward (s4.py @ d3a72bd9: upgrade_degree, the polyb and
kb branches) re-implemented in float64 on top of the same S4D FFT convolution, with
liquid_kernel polyb (the repository's), kb (the causal form K * (u + sum_p S^(p-1) c_p), NOT
the repository's) or kb_repo (the repository's kb: rfft(n=2L) of the flipped correlation
times a complex fft(n=L+1) of the kernel times S^(p-1), added before the irfft). The liquid
coefficients (gamma for polyb, S for kb/kb_repo) are buffers written to the weights file,
computed from the layer's parameters as the repository computes them from its frozen init
tensors (Liquid.coefficients); tested by tests/unit/test_torch_liquid.cpp.
"""
import argparse
import itertools
import json
import math
import os
import struct
import sys

import numpy as np
import yaml

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # reported in main(), so --help still works
    torch = None
    nn = None

REQUIRED = ["task", "input", "d_input", "H", "L", "n_layers", "classes"]
DEFAULTS = {"description": "", "prenorm": False, "norm": "batch", "bidirectional": False,
            "pooling": "mean", "retrieval": False, "dropout": 0.0, "norm_eps": 1e-5,
            "init": "s4d_lin", "dt_min": 1e-3, "dt_max": 1e-1}
# Liquid-S4 blocks (docs/models.md "Liquid-S4 blocks"): `block: liquid_s4` and these keys.
LIQUID_DEFAULTS = {"liquid_kernel": "polyb", "liquid_degree": 2, "allcombs": False,
                   "lcontract": "none"}
KEYS = set(REQUIRED) | set(DEFAULTS) | {"N", "M", "block"} | set(LIQUID_DEFAULTS)


def read_model_yaml(path):
    """The description as a dict with every key; M derived from N. The C++ loader checks
    the file fully; this catches what would make the PyTorch model wrong."""
    with open(path) as f:
        desc = yaml.safe_load(f)
    if not isinstance(desc, dict):
        sys.exit("%s: expected a map of model keys" % path)
    unknown = sorted(set(desc) - KEYS)
    if unknown:
        sys.exit("%s: unknown keys %s (valid: %s)" % (path, unknown, sorted(KEYS)))
    missing = [k for k in REQUIRED if k not in desc]
    if missing or ("N" in desc) == ("M" in desc):
        sys.exit("%s: missing keys %s (and exactly one of N, M)" % (path, missing))
    if "N" in desc:
        if desc["N"] % 2:
            sys.exit("%s: N must be even (N = 2M)" % path)
        desc["M"] = desc.pop("N") // 2
    for key, value in DEFAULTS.items():
        desc.setdefault(key, value)
    desc.setdefault("block", "s4d")
    if desc["block"] not in ("s4d", "liquid_s4"):
        sys.exit("%s: block: expected s4d or liquid_s4" % path)
    if desc["block"] == "liquid_s4":
        for key, value in LIQUID_DEFAULTS.items():
            desc.setdefault(key, value)
        if desc["liquid_kernel"] not in ("polyb", "kb", "kb_repo") \
                or desc["lcontract"] not in ("none", "tanh", "lecun") \
                or not 2 <= desc["liquid_degree"] <= 8 \
                or (desc["allcombs"] and desc["liquid_kernel"] == "kb"):
            sys.exit("%s: liquid_kernel polyb|kb|kb_repo, lcontract none|tanh|lecun, "
                     "liquid_degree 2..8, no allcombs with kb" % path)
    elif set(desc) & set(LIQUID_DEFAULTS):
        sys.exit("%s: %s: only for block: liquid_s4" % (path, sorted(set(desc) & set(LIQUID_DEFAULTS))))
    for key in ("dropout", "norm_eps", "dt_min", "dt_max"):
        desc[key] = float(desc[key])  # YAML 1.1 reads 1e-5 (no dot) as a string
    if desc["input"] not in ("tokens", "values") or desc["norm"] not in ("batch", "layer") \
            or desc["pooling"] != "mean" or desc["init"] != "s4d_lin":
        sys.exit("%s: this script supports input tokens|values, norm batch|layer, pooling mean "
                 "and init s4d_lin" % path)
    return desc


def write_model_yaml(path, d):
    """Every key in the order of docs/models.md (N written as 2M)."""
    order = ["task", "description", "input", "d_input", "H", "N", "L", "n_layers", "prenorm",
             "norm", "bidirectional", "pooling", "classes", "retrieval", "dropout", "norm_eps",
             "init", "dt_min", "dt_max"]
    if d["block"] == "liquid_s4":
        order += ["block"] + list(LIQUID_DEFAULTS)
    values = dict(d, N=2 * d["M"])
    with open(path, "w") as f:
        for key in order:
            v = values[key]
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif key in ("task", "description", "block", "liquid_kernel", "lcontract"):
                text = json.dumps(str(v))  # a JSON string is a valid double-quoted YAML scalar
            else:
                text = repr(v) if isinstance(v, float) else str(v)
            f.write("%s: %s\n" % (key, text))


def write_safetensors(path, arrays, dtype):
    """8-byte little-endian header length, JSON header (padded to 8 bytes), data buffer."""
    np_dtype = {"F32": "<f4", "F64": "<f8"}[dtype]
    header, blobs, offset = {}, [], 0
    for name in sorted(arrays):
        blob = np.ascontiguousarray(arrays[name], dtype=np_dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arrays[name].shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt", "source": "scenarios/models/export_s4_model.py"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


# ---------------------------------------------------------------- the model

if nn is not None:

    class S4DKernel(nn.Module):
        """Parameters and kernel of the minimal S4D layer (S4 repository models/s4/s4d.py),
        with C [H, M, 2], or [2, H, M, 2] (forward, backward) when bidirectional."""

        def __init__(self, H, M, directions, dt_min, dt_max):
            super().__init__()
            self.log_dt = nn.Parameter(torch.rand(H) * (math.log(dt_max) - math.log(dt_min))
                                       + math.log(dt_min))
            C = torch.randn(directions, H, M, dtype=torch.cfloat)
            self.C = nn.Parameter(torch.view_as_real(C if directions == 2 else C[0]).clone())
            self.log_A_real = nn.Parameter(torch.log(0.5 * torch.ones(H, M)))
            self.A_imag = nn.Parameter(math.pi * torch.arange(M, dtype=torch.float).repeat(H, 1))

        def forward(self, L):
            """Kernels (directions, H, L): K[l] = 2 Re(sum_n C'_n exp(dt A_n)^l)."""
            dt = torch.exp(self.log_dt)
            C = torch.view_as_complex(self.C.contiguous())
            if C.dim() == 2:
                C = C.unsqueeze(0)
            A = -torch.exp(self.log_A_real) + 1j * self.A_imag
            dtA = A * dt.unsqueeze(-1)
            powers = torch.exp(dtA.unsqueeze(-1) * torch.arange(L, device=A.device))  # (H, M, L)
            Cp = C * (torch.exp(dtA) - 1.0) / A
            return 2 * torch.einsum("chn,hnl->chl", Cp, powers).real

    def _conj(x):
        """The repository's _conj: the M modes followed by their conjugates (2M entries)."""
        return torch.cat([x, x.conj()], dim=-1)

    def lcontract(kind, x):
        """s4.py's lcontract: None (identity), tanh, lecun (1.7159 tanh(0.666 x))."""
        if kind == "tanh":
            return torch.tanh(x)
        if kind == "lecun":
            return 1.7159 * torch.tanh(0.666 * x)
        return x

    class Liquid(nn.Module):
        """The liquid coefficients of one Liquid-S4 layer, stored as buffers so they are part
        of the state dict: gamma [directions, P-1, H] (polyb) or S [directions, H] (kb,
        kb_repo). The repository never stores them: it recomputes them in each forward from
        frozen init copies of the kernel's tensors (spec §3). Here they are computed once
        from the layer's parameters as the repository's forward computes them (coefficients())."""

        def __init__(self, d):
            super().__init__()
            self.kind, self.P, self.allcombs = d["liquid_kernel"], d["liquid_degree"], d["allcombs"]
            self.contract = d["lcontract"]
            dirs, H = 2 if d["bidirectional"] else 1, d["H"]
            if self.kind == "polyb":
                self.register_buffer("gamma", torch.zeros(dirs, self.P - 1, H, dtype=torch.float64))
            else:
                self.register_buffer("S", torch.zeros(dirs, H, dtype=torch.float64))
            self._combs = {}

        @torch.no_grad()
        def coefficients(self, kernel):
            """s4.py @ d3a72bd9, S4.forward (polyb and kb branches), in float64, with the
            frozen init tensors taken as the layer's parameters: C (the minimal S4D's C, B
            folded in), B = 1, w = A, bilinear dB = dt B / (1 - dt w / 2)."""
            dt = torch.exp(kernel.log_dt.double())
            w = _conj(-torch.exp(kernel.log_A_real.double()) + 1j * kernel.A_imag.double())
            B = torch.ones_like(w)
            dB = torch.diag_embed(1.0 / (1.0 - 0.5 * dt[:, None] * w))
            dB = dt[:, None] * torch.einsum("dab,db->da", dB, B)  # (H, 2M)
            if self.kind != "polyb":  # kb: k_b <- contract(k_b, dB): times S = sum(dB)
                S = dB.sum(-1).real
                self.S.copy_(S.expand_as(self.S))
                return
            C = torch.view_as_complex(kernel.C.double().contiguous())
            dC = _conj(C if C.dim() == 3 else C.unsqueeze(0))  # (dirs, H, 2M)
            for i in range(self.P - 1):
                dB1, dB2 = dB.unsqueeze(2), dB.unsqueeze(1)
                dB = (dB1 * dB2).sum(2)
                dCB = torch.einsum("abc,bc->ab", dC, dB)
                self.gamma[:, i, :] = dCB.real  # .float() keeps the real part

        def combs(self, L, p):
            """get_combs_cache: the last L p-subsets of the last n* steps."""
            if (L, p) not in self._combs:
                selected = 1
                for n in range(2, L):
                    if math.comb(n, p) >= L:
                        selected = n
                        break
                idx = list(itertools.combinations(range(L - selected, L), p))
                if len(idx) != L:
                    idx = idx[-L:]
                if not idx:
                    raise ValueError("allcombs: L = %d too short for order %d" % (L, p))
                self._combs[(L, p)] = torch.LongTensor(idx)
            return self._combs[(L, p)]

        def correlations(self, u):
            """upgrade_degree then lcontract, for p = 2..P: a list of (S, H, L), unflipped."""
            out, us, L = [], u, u.size(-1)
            for i in range(self.P - 1):
                if self.allcombs:
                    idx = self.combs(L, i + 2)
                    us = u[..., idx[:, 0]]
                    for j in range(1, i + 2):
                        us = us * u[..., idx[:, j]]
                    if us.size(-1) != L:
                        us = F.pad(us, (0, L - us.size(-1)))
                else:
                    us = us * F.pad(us[..., :-1], (1, 0), "constant", 0)
                out.append(lcontract(self.contract, us))
            return out

    class S4DLayer(nn.Module):
        def __init__(self, d):
            super().__init__()
            H = d["H"]
            self.bidirectional = d["bidirectional"]
            self.kernel = S4DKernel(H, d["M"], 2 if self.bidirectional else 1,
                                    d["dt_min"], d["dt_max"])
            self.D = nn.Parameter(torch.randn(H))
            self.output_linear = nn.Linear(H, 2 * H)
            if d["block"] == "liquid_s4":
                self.liquid = Liquid(d)
                self.liquid.coefficients(self.kernel)

        def forward(self, u, lengths):
            """u (S, H, L) -> (S, H, L)."""
            L = u.size(-1)
            mask = (torch.arange(L, device=u.device)[None, :] < lengths[:, None]).to(u.dtype)
            u = u * mask[:, None, :]  # padding must not reach valid steps backwards
            k = self.kernel(L)
            liquid = getattr(self, "liquid", None)
            if liquid is not None:
                y = self.liquid_ssm(liquid, k, u)
            else:
                if self.bidirectional:  # the S4 repository's bidirectional kernel
                    k = F.pad(k[0], (0, L)) + F.pad(k[1].flip(-1), (L, 0))
                else:
                    k = k[0]
                y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(k, n=2 * L),
                                    n=2 * L)[..., :L]
            y = y + u * self.D.unsqueeze(-1)
            if liquid is not None and liquid.kind == "polyb":  # after the D term, as s4.py
                for i, c in enumerate(liquid.correlations(u)):
                    c_flip = c.flip(-1)
                    y = y + c_flip * liquid.gamma[0, i][:, None]
                    if self.bidirectional:  # us_corr.flip(2): the unflipped sequence
                        y = y + c_flip.flip(-1) * liquid.gamma[1, i][:, None]
            y = F.gelu(y)  # exact erf form
            y = self.output_linear(y.transpose(-1, -2)).transpose(-1, -2)
            return F.glu(y, dim=-2)  # first half * sigmoid(second half)

        def liquid_ssm(self, liquid, k, u):
            """The SSM convolution with the liquid kb terms (without D; polyb adds after D).
            kb_repo is s4.py's kb: rfft(^c_p, 2L) times the complex fft of the merged kernel
            times S^(p-1) on L+1 points, added to the spectrum before the one irfft. kb is the
            causal form: each direction's kernel convolved with u + sum_p S_d^(p-1) c_p."""
            L = u.size(-1)
            k0 = F.pad(k[0], (0, L))
            k1 = F.pad(k[1].flip(-1), (L, 0)) if self.bidirectional else None
            u_f = torch.fft.rfft(u, n=2 * L)
            if liquid.kind == "kb":
                corr = liquid.correlations(u)
                y_f = 0
                for dirn, kd in enumerate([k0, k1] if self.bidirectional else [k0]):
                    ut = u
                    for i, c in enumerate(corr):
                        ut = ut + liquid.S[dirn][:, None] ** (i + 1) * c
                    y_f = y_f + torch.fft.rfft(ut, n=2 * L) * torch.fft.rfft(kd, n=2 * L)
                return torch.fft.irfft(y_f, n=2 * L)[..., :L]
            kk = k0 + k1 if self.bidirectional else k[0]
            y_f = u_f * torch.fft.rfft(kk, n=2 * L)
            if liquid.kind == "kb_repo":
                kb0 = k[0]
                kb1 = k[1] if self.bidirectional else None
                for i, c in enumerate(liquid.correlations(u)):
                    kb0 = kb0 * liquid.S[0][:, None]
                    kb = F.pad(kb0, (0, L))
                    if self.bidirectional:
                        kb1 = kb1 * liquid.S[1][:, None]
                        kb = kb + F.pad(kb1.flip(-1), (L, 0))
                    else:
                        kb = kb0
                    k_b_f = torch.fft.fft(kb, n=(L + L) // 2 + 1)  # complex FFT, L+1 points
                    u_corr_f = torch.fft.rfft(c.flip(-1), n=2 * L)
                    y_f = y_f + u_corr_f * k_b_f
            return torch.fft.irfft(y_f, n=2 * L)[..., :L]

    def make_norm(d):
        return nn.BatchNorm1d(d["H"], eps=d["norm_eps"]) if d["norm"] == "batch" \
            else nn.LayerNorm(d["H"], eps=d["norm_eps"])

    def apply_norm(norm, x):
        """x (S, H, L); LayerNorm normalises over H at each step."""
        if isinstance(norm, nn.LayerNorm):
            return norm(x.transpose(-1, -2)).transpose(-1, -2)
        return norm(x)

    class Block(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.prenorm = d["prenorm"]
            self.layer = S4DLayer(d)
            self.norm = make_norm(d)

        def forward(self, x, lengths):
            z = apply_norm(self.norm, x) if self.prenorm else x
            x = x + self.layer(z, lengths)
            return x if self.prenorm else apply_norm(self.norm, x)

    class RetrievalHead(nn.Module):
        def __init__(self, H, classes):
            super().__init__()
            self.classifier = nn.Sequential(nn.Linear(4 * H, H), nn.GELU(), nn.Linear(H, classes))

    class RetrievalDecoder(nn.Module):
        def __init__(self, H, classes):
            super().__init__()
            self.retrieval = RetrievalHead(H, classes)

        def forward(self, f):
            a, b = f[:, 0], f[:, 1]
            return self.retrieval.classifier(torch.cat([a, b, a - b, a * b], dim=-1))

    class S4Model(nn.Module):
        """Module names give the state_dict keys of docs/models.md."""

        def __init__(self, d):
            super().__init__()
            self.d = d
            H = d["H"]
            self.encoder = nn.Embedding(d["d_input"], H) if d["input"] == "tokens" \
                else nn.Linear(d["d_input"], H)
            self.layers = nn.ModuleList([Block(d) for _ in range(d["n_layers"])])
            if d["prenorm"]:
                self.norm = make_norm(d)
            self.decoder = RetrievalDecoder(H, d["classes"]) if d["retrieval"] \
                else nn.Linear(H, d["classes"])

        def forward(self, inputs, lengths):
            """inputs (B[, 2], L[, d_input]), lengths (B[, 2]) -> logits (B, classes)."""
            d = self.d
            docs = 2 if d["retrieval"] else 1
            B = inputs.shape[0]
            x = inputs.reshape((B * docs,) + tuple(inputs.shape[1 + (docs == 2):]))
            lengths = lengths.reshape(B * docs)
            if d["input"] == "values" and x.dim() == 2:
                x = x.unsqueeze(-1)
            x = self.encoder(x).transpose(-1, -2)  # (S, H, L)
            for block in self.layers:
                x = block(x, lengths)
            if d["prenorm"]:
                x = apply_norm(self.norm, x)
            mask = (torch.arange(x.size(-1))[None, :] < lengths[:, None]).to(x.dtype)
            f = (x * mask[:, None, :]).sum(-1) / lengths[:, None].to(x.dtype)
            if d["retrieval"]:
                return self.decoder(f.reshape(B, 2, -1))
            return self.decoder(f)


def perturb_norms(model):
    """Away from torch's identity norms, so that a wrong norm shows in the comparison."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.LayerNorm)):
                m.weight.add_(0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.copy_(0.1 * torch.randn_like(m.running_mean))
                m.running_var.copy_(1.0 + 0.5 * torch.rand_like(m.running_var))


def from_s4_repo_names(sd, H):
    """Best-effort renaming of an S4 repository checkpoint (docs/models.md, 'Exporting')."""
    out = {}
    for key, v in sd.items():
        k = key[len("model."):] if key.startswith("model.") else key
        if k.endswith("num_batches_tracked"):
            continue
        for old, new in [("encoder.0.", "encoder."), ("decoder.0.output_transform.", "decoder."),
                         ("decoder.0.retrieval.", "decoder.retrieval."),
                         (".layer.layer.", ".layer."), (".kernel.kernel.", ".kernel."),
                         (".output_linear.0.", ".output_linear."),
                         (".norm.norm.", ".norm.")]:
            k = k.replace(old, new)
        if k.startswith("norm.norm."):
            k = k[len("norm."):]
        if k.endswith(".kernel.inv_dt"):  # dt_transform 'exp': dt = exp(inv_dt)
            k = k[:-len("inv_dt")] + "log_dt"
        if k.endswith(".kernel.inv_A_real"):  # real_transform 'exp': Re A = -exp(inv_A_real)
            k = k[:-len("inv_A_real")] + "log_A_real"
        if k.endswith(".layer.D") and v.dim() == 2 and v.shape[0] == 1:
            v = v[0]  # D (channels=1, H)
        if "output_linear" in k and v.dim() >= 2 and v.shape[-1] == 1:
            v = v[..., 0]  # Conv1d / TransposedLinear layouts
        if k.endswith(".kernel.C") and v.dim() == 4 and v.shape[0] == 1:
            v = v[0]
        out[k] = v
    for k in [k for k in out if k.endswith(".kernel.B")]:  # fold B into C (C' = C B)
        prefix = k[:-1]
        B = torch.view_as_complex(out.pop(k).contiguous())
        C = torch.view_as_complex(out[prefix + "C"].contiguous())
        out[prefix + "C"] = torch.view_as_real(C * B.reshape(B.shape[-2:]).repeat(
            H // B.shape[-2], 1))
    for k in [k for k in out if k.endswith(".kernel.log_A_real") or k.endswith(".kernel.A_imag")]:
        if out[k].shape[0] != H:  # A shared by groups of channels (n_ssm < H)
            out[k] = out[k].repeat(H // out[k].shape[0], 1)
    return out


def seeded_inputs(d, B, seed, with_lengths):
    rng = np.random.default_rng(seed)
    docs = (2,) if d["retrieval"] else ()
    if d["input"] == "tokens":
        inputs = rng.integers(0, d["d_input"], size=(B,) + docs + (d["L"],), dtype=np.int64)
    else:
        inputs = rng.standard_normal((B,) + docs + (d["L"], d["d_input"])).astype(np.float32)
    if with_lengths:
        lengths = rng.integers(max(1, d["L"] // 2), d["L"] + 1, size=(B,) + docs, dtype=np.int64)
    else:
        lengths = np.full((B,) + docs, d["L"], dtype=np.int64)
    return inputs, lengths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="model description YAML")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--checkpoint", help="torch.save'd state_dict (or a dict with 'state_dict')")
    ap.add_argument("--s4-repo-names", action="store_true",
                    help="the checkpoint uses the S4 repository's names")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--dtype", choices=["F32", "F64"], default="F32")
    ap.add_argument("--no-lengths", action="store_true", help="every sequence has length L")
    args = ap.parse_args()
    if torch is None:
        sys.exit("export_s4_model.py needs PyTorch (Debian: apt-get install python3-torch)")

    d = read_model_yaml(args.model)
    torch.manual_seed(args.seed)
    model = S4Model(d)
    if args.checkpoint:
        sd = torch.load(args.checkpoint, map_location="cpu")
        sd = sd.get("state_dict", sd)
        if args.s4_repo_names:
            sd = from_s4_repo_names(sd, d["H"])
        sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        # A checkpoint without the liquid coefficients (the repository never stores them):
        # computed from the loaded parameters as the repository computes them.
        if any(".layer.liquid." in k for k in missing):
            for block in model.layers:
                block.layer.liquid.coefficients(block.layer.kernel)
            missing = [k for k in missing if ".layer.liquid." not in k]
        if missing or unexpected:
            sys.exit("%s: missing tensors %s, unexpected tensors %s (names: docs/models.md)"
                     % (args.checkpoint, missing, unexpected))
    else:
        perturb_norms(model)
    model.eval()

    # The file's values (rounded to the file's dtype) are the ones evaluated below.
    arrays = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()
              if not k.endswith("num_batches_tracked")}
    file_dtype = np.float32 if args.dtype == "F32" else np.float64
    arrays = {k: v.astype(file_dtype) for k, v in arrays.items()}
    model = model.double()
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in arrays.items()},
                          strict=False)

    inputs, lengths = seeded_inputs(d, args.batch, args.seed, not args.no_lengths)
    x = torch.from_numpy(inputs) if d["input"] == "tokens" \
        else torch.from_numpy(inputs.astype(np.float64))
    with torch.no_grad():
        logits = model(x, torch.from_numpy(lengths)).numpy()

    os.makedirs(args.out_dir, exist_ok=True)
    write_model_yaml(os.path.join(args.out_dir, "model.yaml"), d)
    write_safetensors(os.path.join(args.out_dir, "weights.safetensors"), arrays, args.dtype)
    np.save(os.path.join(args.out_dir, "inputs.npy"), inputs)
    if not args.no_lengths:
        np.save(os.path.join(args.out_dir, "lengths.npy"), lengths)
    np.save(os.path.join(args.out_dir, "expected_logits.npy"), logits.astype(np.float64))
    print("wrote %d tensors, %d inputs, logits %s to %s"
          % (len(arrays), args.batch, logits.shape, args.out_dir))


if __name__ == "__main__":
    main()
