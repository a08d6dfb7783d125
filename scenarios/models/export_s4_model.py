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
"""
import argparse
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
KEYS = set(REQUIRED) | set(DEFAULTS) | {"N", "M"}


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
    values = dict(d, N=2 * d["M"])
    with open(path, "w") as f:
        for key in order:
            v = values[key]
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif key in ("task", "description"):
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

    class S4DLayer(nn.Module):
        def __init__(self, d):
            super().__init__()
            H = d["H"]
            self.bidirectional = d["bidirectional"]
            self.kernel = S4DKernel(H, d["M"], 2 if self.bidirectional else 1,
                                    d["dt_min"], d["dt_max"])
            self.D = nn.Parameter(torch.randn(H))
            self.output_linear = nn.Linear(H, 2 * H)

        def forward(self, u, lengths):
            """u (S, H, L) -> (S, H, L)."""
            L = u.size(-1)
            mask = (torch.arange(L, device=u.device)[None, :] < lengths[:, None]).to(u.dtype)
            u = u * mask[:, None, :]  # padding must not reach valid steps backwards
            k = self.kernel(L)
            if self.bidirectional:  # the S4 repository's bidirectional kernel
                k = F.pad(k[0], (0, L)) + F.pad(k[1].flip(-1), (L, 0))
            else:
                k = k[0]
            y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(k, n=2 * L),
                                n=2 * L)[..., :L]
            y = y + u * self.D.unsqueeze(-1)
            y = F.gelu(y)  # exact erf form
            y = self.output_linear(y.transpose(-1, -2)).transpose(-1, -2)
            return F.glu(y, dim=-2)  # first half * sigmoid(second half)

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
