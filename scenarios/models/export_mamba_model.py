#!/usr/bin/env python3
"""Build or load a Mamba (selective S6) model in PyTorch float64 and export it (docs/models.md).

The model is the one of maths/reference/mamba_reference.h, written here in pure torch
float64 from the equations of state-spaces/mamba (mamba_ssm/ops/selective_scan_interface.py
`selective_scan_ref`, mamba_ssm/modules/mamba_simple.py `Mamba.forward` and `Mamba.step`,
mamba_ssm/modules/block.py `Block`, mamba_ssm/ops/triton/layer_norm.py `RMSNorm`), but
WITHOUT the float32 casts of selective_scan_ref and Mamba.forward (u, delta, B, C,
delta_bias, A_log, D go to float32 there): nothing here leaves float64. softplus is
torch's F.softplus (threshold 20: x itself above 20).

  encoder -> n_layers x [x = x + Mixer(RMSNorm(x))] -> RMSNorm_f -> mean over the valid
  length -> decoder (or the retrieval head on [a, b, a-b, a*b])

Usage:
  export_mamba_model.py --model MODEL.yaml --out-dir DIR [--checkpoint STATE_DICT.pt]
                        [--seed 1] [--batch 4] [--dtype F32|F64] [--no-lengths] [--check-step]

Writes into DIR the files export_s4_model.py writes (model.yaml with every key,
weights.safetensors, inputs.npy, lengths.npy, expected_logits.npy: PyTorch's float64
logits from the weights exactly as stored). Without --checkpoint the model is initialised
from --seed with Mamba's init (Mamba.__init__: dt_proj weight U(+-R^-1/2), dt_proj bias
the inverse softplus of dt log-uniform in [dt_min, dt_max], A_log = ln(n+1), D = 1, torch
defaults for in_proj, conv1d, x_proj; out_proj / sqrt(n_layers) as _init_weights), then
perturbed so that a transposed or misplaced tensor shows in the comparison: RMSNorm weights
1 + 0.1 normal, A_log + 0.1 normal, D + 0.1 normal. With --checkpoint, a torch.save'd
state dict with the names of docs/models.md (a `backbone.` prefix is dropped).

--check-step also runs every sequence token by token through Mamba.step's recurrence
(conv_state of the last K raw x values, newest in slot K-1, and ssm_state) and compares the
final hidden states with the full-sequence form; prints "step vs full: max rel diff X" and
exits with status 1 if X > 1e-12.
"""
import argparse
import math
import os
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_s4_model as s4x  # noqa: E402  (safetensors writer, seeded inputs, retrieval head)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    torch = None
    nn = None

REQUIRED = ["task", "input", "d_input", "H", "L", "n_layers", "classes"]
DEFAULTS = {"description": "", "block": "mamba", "d_state": 16, "d_conv": 4, "expand": 2,
            "dt_rank": "auto", "prenorm": True, "norm": "rms", "pooling": "mean",
            "retrieval": False, "dropout": 0.0, "norm_eps": 1e-5, "dt_min": 1e-3, "dt_max": 1e-1}
ORDER = ["task", "description", "block", "input", "d_input", "H", "d_state", "d_conv", "expand",
         "dt_rank", "L", "n_layers", "prenorm", "norm", "pooling", "classes", "retrieval", "dropout",
         "norm_eps", "dt_min", "dt_max"]


def read_model_yaml(path):
    with open(path) as f:
        desc = yaml.safe_load(f)
    if not isinstance(desc, dict):
        sys.exit("%s: expected a map of model keys" % path)
    unknown = sorted(set(desc) - set(REQUIRED) - set(DEFAULTS))
    if unknown:
        sys.exit("%s: unknown keys %s for block mamba (valid: %s)" % (path, unknown, ORDER))
    missing = [k for k in REQUIRED if k not in desc]
    if missing:
        sys.exit("%s: missing keys %s" % (path, missing))
    for key, value in DEFAULTS.items():
        desc.setdefault(key, value)
    if desc["block"] != "mamba" or desc["norm"] != "rms" or desc["prenorm"] is not True \
            or desc["pooling"] != "mean" or desc["input"] not in ("tokens", "values"):
        sys.exit("%s: this script builds block: mamba models (norm rms, prenorm true, pooling mean, "
                 "input tokens|values)" % path)
    for key in ("dropout", "norm_eps", "dt_min", "dt_max"):
        desc[key] = float(desc[key])
    if desc["dt_rank"] == "auto":
        desc["dt_rank_value"] = math.ceil(desc["H"] / 16)
    else:
        desc["dt_rank_value"] = int(desc["dt_rank"])
    return desc


def write_model_yaml(path, d):
    with open(path, "w") as f:
        for key in ORDER:
            v = d[key]
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif key in ("task", "description"):
                text = s4x.json.dumps(str(v))
            else:
                text = repr(v) if isinstance(v, float) else str(v)
            f.write("%s: %s\n" % (key, text))


if nn is not None:

    class RMSNorm(nn.Module):
        """mamba_ssm/ops/triton/layer_norm.py RMSNorm: x / sqrt(mean(x^2) + eps) * weight."""

        def __init__(self, H, eps):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(H))

        def forward(self, x):  # (S, L, H)
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight

    class Mixer(nn.Module):
        """mamba_ssm/modules/mamba_simple.py Mamba (bias=False, conv_bias=True), float64."""

        def __init__(self, d):
            super().__init__()
            H = d["H"]
            self.Din = Din = d["expand"] * H
            self.N = N = d["d_state"]
            self.K = K = d["d_conv"]
            self.R = R = d["dt_rank_value"]
            self.in_proj = nn.Linear(H, 2 * Din, bias=False)
            self.conv1d = nn.Conv1d(Din, Din, K, groups=Din, padding=K - 1, bias=True)
            self.x_proj = nn.Linear(Din, R + 2 * N, bias=False)
            self.dt_proj = nn.Linear(R, Din, bias=True)
            s = R ** -0.5  # dt_init "random", dt_scale 1
            nn.init.uniform_(self.dt_proj.weight, -s, s)
            dt = torch.exp(torch.rand(Din) * (math.log(d["dt_max"]) - math.log(d["dt_min"]))
                           + math.log(d["dt_min"])).clamp(min=1e-4)
            with torch.no_grad():
                self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
            A = torch.arange(1, N + 1, dtype=torch.float64).repeat(Din, 1)  # S4D-real
            self.A_log = nn.Parameter(torch.log(A))
            self.D = nn.Parameter(torch.ones(Din))
            self.out_proj = nn.Linear(Din, H, bias=False)

        def forward(self, hs):
            """hs (S, L, H) -> (S, L, H): the non-fused path of Mamba.forward."""
            S, L, _ = hs.shape
            xz = F.linear(hs, self.in_proj.weight).transpose(1, 2)  # (S, 2Din, L)
            x, z = xz.chunk(2, dim=1)
            u = F.silu(F.conv1d(x, self.conv1d.weight, self.conv1d.bias, padding=self.K - 1,
                                groups=self.Din)[..., :L])
            x_dbl = F.linear(u.transpose(1, 2), self.x_proj.weight)  # (S, L, R+2N)
            dt_low, Bm, Cm = torch.split(x_dbl, [self.R, self.N, self.N], dim=-1)
            delta = F.softplus(F.linear(dt_low, self.dt_proj.weight, self.dt_proj.bias))  # (S, L, Din)
            A = -torch.exp(self.A_log)
            h = torch.zeros(S, self.Din, self.N, dtype=hs.dtype)
            ys = []
            for t in range(L):  # selective_scan_ref's loop, in float64
                dt_t = delta[:, t, :]
                h = torch.exp(dt_t[:, :, None] * A) * h \
                    + (dt_t * u[:, :, t])[:, :, None] * Bm[:, t, None, :]
                ys.append((h * Cm[:, t, None, :]).sum(-1))
            y = torch.stack(ys, dim=-1)  # (S, Din, L)
            y = (y + self.D[None, :, None] * u) * F.silu(z)
            return F.linear(y.transpose(1, 2), self.out_proj.weight)

        def step_all(self, hs):
            """The same function token by token, as Mamba.step: conv_state (S, Din, K) holds
            the last K raw x (newest in slot K-1), ssm_state (S, Din, N)."""
            S, L, _ = hs.shape
            conv_state = torch.zeros(S, self.Din, self.K, dtype=hs.dtype)
            ssm_state = torch.zeros(S, self.Din, self.N, dtype=hs.dtype)
            A = -torch.exp(self.A_log)
            outs = []
            for t in range(L):
                x, z = F.linear(hs[:, t, :], self.in_proj.weight).chunk(2, dim=-1)  # (S, Din)
                conv_state = torch.roll(conv_state, shifts=-1, dims=-1)
                conv_state[:, :, -1] = x
                u = F.silu((conv_state * self.conv1d.weight[:, 0, :]).sum(-1) + self.conv1d.bias)
                dt_low, Bm, Cm = torch.split(F.linear(u, self.x_proj.weight), [self.R, self.N, self.N],
                                             dim=-1)
                dt = F.softplus(F.linear(dt_low, self.dt_proj.weight, self.dt_proj.bias))
                ssm_state = ssm_state * torch.exp(dt[:, :, None] * A) \
                    + (dt * u)[:, :, None] * Bm[:, None, :]
                y = (ssm_state * Cm[:, None, :]).sum(-1) + self.D * u
                outs.append(F.linear(y * F.silu(z), self.out_proj.weight))
            return torch.stack(outs, dim=1)

    class Block(nn.Module):
        """mamba_ssm/modules/block.py Block without MLP: x + Mixer(RMSNorm(x))."""

        def __init__(self, d):
            super().__init__()
            self.norm = RMSNorm(d["H"], d["norm_eps"])
            self.mixer = Mixer(d)

        def forward(self, x, step=False):
            z = self.norm(x)
            return x + (self.mixer.step_all(z) if step else self.mixer(z))

    class MambaModel(nn.Module):
        def __init__(self, d):
            super().__init__()
            self.d = d
            H = d["H"]
            self.encoder = nn.Embedding(d["d_input"], H) if d["input"] == "tokens" \
                else nn.Linear(d["d_input"], H)
            self.layers = nn.ModuleList([Block(d) for _ in range(d["n_layers"])])
            self.norm_f = RMSNorm(H, d["norm_eps"])
            self.decoder = s4x.RetrievalDecoder(H, d["classes"]) if d["retrieval"] \
                else nn.Linear(H, d["classes"])

        def hidden(self, inputs, step=False):
            """inputs (S, L[, d_input]) -> final hidden states (S, L, H)."""
            x = inputs
            if self.d["input"] == "values" and x.dim() == 2:
                x = x.unsqueeze(-1)
            x = self.encoder(x)
            for block in self.layers:
                x = block(x, step)
            return self.norm_f(x)

        def forward(self, inputs, lengths, step=False):
            d = self.d
            docs = 2 if d["retrieval"] else 1
            B = inputs.shape[0]
            x = inputs.reshape((B * docs,) + tuple(inputs.shape[1 + (docs == 2):]))
            lengths = lengths.reshape(B * docs)
            h = self.hidden(x, step)  # causal: padding after the valid length cannot reach valid steps
            mask = (torch.arange(h.size(1))[None, :] < lengths[:, None]).to(h.dtype)
            f = (h * mask[:, :, None]).sum(1) / lengths[:, None].to(h.dtype)
            return self.decoder(f.reshape(B, 2, -1)) if d["retrieval"] else self.decoder(f)


def init_model(model, n_layers):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, Mixer):
                m.out_proj.weight.div_(math.sqrt(n_layers))  # _init_weights, 1 residual per layer
                m.A_log.add_(0.1 * torch.randn_like(m.A_log))
                m.D.add_(0.1 * torch.randn_like(m.D))
            if isinstance(m, RMSNorm):
                m.weight.add_(0.1 * torch.randn_like(m.weight))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--checkpoint")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--dtype", choices=["F32", "F64"], default="F32")
    ap.add_argument("--no-lengths", action="store_true")
    ap.add_argument("--check-step", action="store_true")
    args = ap.parse_args()
    if torch is None:
        sys.exit("export_mamba_model.py needs PyTorch (Debian: apt-get install python3-torch)")
    torch.set_default_dtype(torch.float64)

    d = read_model_yaml(args.model)
    torch.manual_seed(args.seed)
    model = MambaModel(d)
    if args.checkpoint:
        sd = torch.load(args.checkpoint, map_location="cpu")
        sd = sd.get("state_dict", sd)
        sd = {(k[len("backbone."):] if k.startswith("backbone.") else k): v for k, v in sd.items()}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        if missing or unexpected:
            sys.exit("%s: missing tensors %s, unexpected tensors %s (names: docs/models.md)"
                     % (args.checkpoint, missing, unexpected))
    else:
        init_model(model, d["n_layers"])
    model.eval()

    file_dtype = np.float32 if args.dtype == "F32" else np.float64
    arrays = {k: v.detach().cpu().numpy().astype(file_dtype) for k, v in model.state_dict().items()}
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float64)) for k, v in arrays.items()})

    inputs, lengths = s4x.seeded_inputs(d, args.batch, args.seed, not args.no_lengths)
    x = torch.from_numpy(inputs) if d["input"] == "tokens" \
        else torch.from_numpy(inputs.astype(np.float64))
    with torch.no_grad():
        logits = model(x, torch.from_numpy(lengths)).numpy()
        if args.check_step:
            seqs = x.reshape((-1,) + tuple(x.shape[1 + d["retrieval"]:]))
            full, step = model.hidden(seqs), model.hidden(seqs, step=True)
            diff = ((full - step).abs().max() / full.abs().max()).item()
            print("step vs full: max rel diff %.3e" % diff)
            if not diff <= 1e-12:
                sys.exit("step vs full: max rel diff %.3e above 1e-12" % diff)

    os.makedirs(args.out_dir, exist_ok=True)
    write_model_yaml(os.path.join(args.out_dir, "model.yaml"), d)
    s4x.write_safetensors(os.path.join(args.out_dir, "weights.safetensors"), arrays, args.dtype)
    np.save(os.path.join(args.out_dir, "inputs.npy"), inputs)
    if not args.no_lengths:
        np.save(os.path.join(args.out_dir, "lengths.npy"), lengths)
    np.save(os.path.join(args.out_dir, "expected_logits.npy"), logits.astype(np.float64))
    print("wrote %d tensors, %d inputs, logits %s to %s"
          % (len(arrays), args.batch, logits.shape, args.out_dir))


if __name__ == "__main__":
    main()
