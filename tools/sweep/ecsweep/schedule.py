"""Dask scheduling of the points that are not cached, the cache folder, the progress bar."""
import json
import os
import sys
import time

from .simulate import run_point


class Progress:
    """One stderr line rewritten in place: done / failed / cached / remaining, ETA."""

    def __init__(self, total, cached, stream=sys.stderr):
        self.total, self.cached, self.done, self.failed = total, cached, 0, 0
        self.t0, self.stream = time.time(), stream
        self.draw()

    def tick(self, ok):
        if ok:
            self.done += 1
        else:
            self.failed += 1
        self.draw()

    def draw(self, end=""):
        ran = self.done + self.failed
        remaining = self.total - self.cached - ran
        eta = "--"
        if ran and remaining:
            eta = f"{(time.time() - self.t0) / ran * remaining:.0f}s"
        elif not remaining:
            eta = "0s"
        width = 30
        frac = (self.total - remaining) / self.total if self.total else 1.0
        bar = "#" * int(frac * width) + "." * (width - int(frac * width))
        self.stream.write(f"\r[{bar}] done {self.done}  failed {self.failed}  cached {self.cached}"
                          f"  remaining {remaining}  ETA {eta}   " + end)
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


def cache_dir(output, key):
    return os.path.join(output, "cache", key)


def load_cached(output, key):
    d = cache_dir(output, key)
    status = os.path.join(d, "status.json")
    if not os.path.exists(status):
        return None
    with open(status) as f:
        st = json.load(f)
    res = {"exit_status": st["exit_status"], "error": st.get("error", "")}
    for name, fname in (("report", "report.json"), ("csv", "row.csv"), ("stderr", "stderr.txt")):
        p = os.path.join(d, fname)
        res[name] = open(p).read() if os.path.exists(p) else ""
    return res


def store(output, key, res):
    d = cache_dir(output, key)
    os.makedirs(d, exist_ok=True)
    for name, fname in (("report", "report.json"), ("csv", "row.csv"), ("stderr", "stderr.txt")):
        with open(os.path.join(d, fname), "w") as f:
            f.write(res.get(name, ""))
    # status.json last: its presence marks a complete entry
    with open(os.path.join(d, "status.json"), "w") as f:
        json.dump({"exit_status": res["exit_status"], "error": res.get("error", "")}, f)


def run_all(jobs, output, vp, use_csv, flags=(), workers=None, scheduler=None):
    """jobs: list of (index, key, base, point). Returns {index: result}; cached ones are
    read, the others run on Dask (a LocalCluster of single-threaded worker processes, or
    the cluster at `scheduler`) and stored in the cache."""
    results, todo = {}, []
    for idx, key, base, point in jobs:
        c = load_cached(output, key)
        if c is not None:
            c["cached"] = True
            results[idx] = c
        else:
            todo.append((idx, key, base, point))
    bar = Progress(len(jobs), len(results))
    if todo:
        from distributed import Client, LocalCluster, as_completed
        # the workers import ecsweep: put it on their path (spawned processes inherit it)
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get("PYTHONPATH", "")
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            n = workers or os.cpu_count() or 1
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        try:
            futs = {}
            for idx, key, base, point in todo:
                f = client.submit(run_point, vp, base, point, use_csv, list(flags), pure=False,
                                  key=f"point-{idx}-{key[:16]}")
                futs[f] = (idx, key)
            for f in as_completed(futs):
                idx, key = futs[f]
                try:
                    res = f.result()
                except Exception as e:  # the worker itself failed
                    res = {"exit_status": -1, "report": "", "csv": "", "stderr": str(e),
                           "error": f"worker error: {e}"}
                if res["exit_status"] != -1:
                    store(output, key, res)
                res["cached"] = False
                results[idx] = res
                bar.tick(res["exit_status"] == 0)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    bar.close()
    return results
