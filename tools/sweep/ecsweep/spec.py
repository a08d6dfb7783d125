"""The sweep file: loading, validation, expansion into points, constraints."""
import itertools
import math
import os
import random

import yaml

TOP_KEYS = {"base", "axes", "compare", "constraints", "metrics", "output", "plot_metric"}
AXES_KEYS = {"grid", "zip", "random"}
OPS = {
    "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b, ">": lambda a, b: a > b,
}
DEFAULT_METRICS = ["cycles", "simulated_seconds", "energy_pj_total", "area_mm2_total"]


class SweepError(Exception):
    """A bad sweep file: the message names the key."""


def set_value(v):
    """A Python value as the text of a --set override."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def flatten(d, prefix=""):
    """Nested mappings as {'a.b.c': scalar}."""
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


class Sweep:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        here = os.path.dirname(self.path)
        try:
            with open(path) as f:
                doc = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            raise SweepError(f"{path}: {e}")
        if not isinstance(doc, dict):
            raise SweepError(f"{path}: not a mapping")
        for k in doc:
            if k not in TOP_KEYS:
                raise SweepError(f"unknown sweep-file key '{k}' (known: {', '.join(sorted(TOP_KEYS))})")
        if "base" not in doc:
            raise SweepError("missing sweep-file key 'base'")
        bases = doc["base"] if isinstance(doc["base"], list) else [doc["base"]]
        if not bases:
            raise SweepError("'base' is empty")
        self.bases = []
        for b in bases:
            p = b if os.path.isabs(b) else os.path.join(here, b)
            if not os.path.exists(p):
                p2 = os.path.abspath(b)  # relative to the working directory
                if not os.path.exists(p2):
                    raise SweepError(f"base: scenario '{b}' not found")
                p = p2
            self.bases.append(os.path.abspath(p))
        axes = doc.get("axes") or {}
        if not isinstance(axes, dict):
            raise SweepError("'axes' must be a mapping (grid, zip, random)")
        for k in axes:
            if k not in AXES_KEYS:
                raise SweepError(f"unknown sweep-file key 'axes.{k}' (known: grid, zip, random)")
        self.grid = axes.get("grid") or {}
        for k, vals in self.grid.items():
            if not isinstance(vals, list) or not vals:
                raise SweepError(f"axes.grid.{k}: empty axis (needs a non-empty list)")
        self.zips = axes.get("zip") or []
        if isinstance(self.zips, dict):
            self.zips = [self.zips]
        for i, group in enumerate(self.zips):
            if not isinstance(group, dict) or not group:
                raise SweepError(f"axes.zip[{i}]: a group must be a non-empty mapping key -> list")
            lens = set()
            for k, vals in group.items():
                if not isinstance(vals, list) or not vals:
                    raise SweepError(f"axes.zip[{i}].{k}: empty axis (needs a non-empty list)")
                lens.add(len(vals))
            if len(lens) != 1:
                raise SweepError(f"axes.zip[{i}]: lists of different lengths ({', '.join(group)})")
        self.random = axes.get("random")
        if self.random is not None:
            for k in self.random:
                if k not in ("samples", "seed", "keys"):
                    raise SweepError(f"unknown sweep-file key 'axes.random.{k}' (known: samples, seed, keys)")
            if not isinstance(self.random.get("samples"), int) or self.random["samples"] < 1:
                raise SweepError("axes.random.samples: a positive integer is needed")
            keys = self.random.get("keys") or {}
            if not keys:
                raise SweepError("axes.random.keys: empty axis (no keys)")
            for k, r in keys.items():
                if isinstance(r, list):
                    if not r:
                        raise SweepError(f"axes.random.keys.{k}: empty axis (no choices)")
                elif isinstance(r, dict):
                    for rk in r:
                        if rk not in ("min", "max", "log", "int"):
                            raise SweepError(f"unknown sweep-file key 'axes.random.keys.{k}.{rk}'")
                    if "min" not in r or "max" not in r or r["min"] > r["max"]:
                        raise SweepError(f"axes.random.keys.{k}: needs min <= max")
                else:
                    raise SweepError(f"axes.random.keys.{k}: a list of choices or {{min, max, log, int}}")
        self.axis_keys = list(self.grid)
        for g in self.zips:
            self.axis_keys += list(g)
        if self.random:
            self.axis_keys += list(self.random["keys"])
        if len(self.bases) > 1:
            self.axis_keys = ["base"] + self.axis_keys
        dup = {k for k in self.axis_keys if self.axis_keys.count(k) > 1}
        if dup:
            raise SweepError(f"axes: key '{sorted(dup)[0]}' swept twice")
        self.constraints = doc.get("constraints") or []
        if not isinstance(self.constraints, list):
            raise SweepError("'constraints' must be a list of {key, op, value | other_key}")
        for i, c in enumerate(self.constraints):
            if not isinstance(c, dict):
                raise SweepError(f"constraints[{i}]: a mapping {{key, op, value | other_key}}")
            for ck in c:
                if ck not in ("key", "op", "value", "other_key"):
                    raise SweepError(f"unknown sweep-file key 'constraints[{i}].{ck}'")
            if "key" not in c or c.get("op") not in OPS or (("value" in c) == ("other_key" in c)):
                raise SweepError(f"constraints[{i}]: needs key, op ({' '.join(OPS)}) and one of value, other_key")
        self.metrics = doc.get("metrics") or list(DEFAULT_METRICS)
        if not isinstance(self.metrics, list):
            raise SweepError("'metrics' must be a list of column names")
        self.plot_metric = doc.get("plot_metric", "cycles")
        compare = doc.get("compare", False)
        if not isinstance(compare, bool):
            raise SweepError("compare: true or false (true: every point also costs the TPU-like baseline)")
        # simulator flags every point gets (and that go into its cache key)
        self.flags = ["--compare"] if compare else []
        out = doc.get("output") or "sweep-out"
        self.output = out if os.path.isabs(out) else os.path.join(here, out)

    def check_constraint_keys(self, scenario_keys):
        known = set(self.axis_keys) | set(scenario_keys)
        for i, c in enumerate(self.constraints):
            for field in ("key", "other_key"):
                if field in c and c[field] not in known:
                    raise SweepError(f"constraints[{i}].{field}: '{c[field]}' is neither an axis nor a scenario key")

    def points(self):
        """Every point: a dict key -> value, the axes in order (before constraints)."""
        parts = []
        if len(self.bases) > 1:
            parts.append([{"base": b} for b in self.bases])
        if self.grid:
            keys = list(self.grid)
            parts.append([dict(zip(keys, combo)) for combo in itertools.product(*self.grid.values())])
        for g in self.zips:
            n = len(next(iter(g.values())))
            parts.append([{k: g[k][i] for k in g} for i in range(n)])
        if self.random:
            rng = random.Random(self.random.get("seed", 0))
            samples = []
            for _ in range(self.random["samples"]):
                s = {}
                for k, r in self.random["keys"].items():
                    if isinstance(r, list):
                        s[k] = rng.choice(r)
                        continue
                    lo, hi = r["min"], r["max"]
                    if r.get("log"):
                        v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
                    else:
                        v = rng.uniform(lo, hi)
                    s[k] = int(round(v)) if r.get("int") else v
                samples.append(s)
            parts.append(samples)
        out = []
        for combo in itertools.product(*parts):
            p = {}
            for c in combo:
                p.update(c)
            out.append(p)
        # random samples may repeat: keep the first of each
        seen, uniq = set(), []
        for p in out:
            key = tuple(sorted((k, repr(v)) for k, v in p.items()))
            if key not in seen:
                seen.add(key)
                uniq.append(p)
        return uniq

    def allowed(self, values):
        """values: the point's effective key -> value. True when every constraint holds."""
        for c in self.constraints:
            a = values.get(c["key"])
            b = values.get(c["other_key"]) if "other_key" in c else c["value"]
            try:
                if not OPS[c["op"]](a, b):
                    return False
            except TypeError:
                return False
        return True
