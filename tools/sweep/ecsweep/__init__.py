"""EpochCore design-space sweeps: spec (sweep file), simulate (one point, cache),
schedule (Dask), outputs (CSV, JSONL, plots, summary)."""
