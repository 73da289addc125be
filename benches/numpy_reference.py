#!/usr/bin/env python3
"""A straightforward vectorised numpy implementation of feasim's reference scenario (issue 4).

This is the yardstick feasim is compared against (`benches/compare-numpy`). It is written the way
a numpy user would write it, without tricks:

    rng = numpy.random.Generator(numpy.random.PCG64(seed))
    for each block of (by default) 10**6 paths:
        e = rng.standard_normal((years, n, K))    # independent standard normals
        z = e @ L.T                               # per year (n x K) @ L.T: Gaussian copula
        g = mean + sd * z                         # yearly log-growth (fractions)
        v = exp(log(base) + cumsum(g, axis=0))    # levels in every projection year
        hits += (v[year] >= threshold).sum(axis=0)

The model is read from the scenario file (default `benches/reference-40.toml`, Python >= 3.11 for
tomllib): every indicator a `level` with `compounding = "log"`, a known base, normal growth (in
percent, as in feasim) and no persistence; correlations given as `group`/`between` with `rho`;
every target `metric = "value"` in some year. Anything else is refused rather than misread.

Prints paths per second of the simulation loop (Python start-up, imports and reading the file
excluded), every target's probability with its Monte Carlo standard error, the exact probability
(log-normal closed form), and the peak resident set size (getrusage). `--json FILE` writes the same
as JSON for scripts.

Usage: python3 benches/numpy_reference.py [--paths N] [--block B] [--seed S] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def fail(message: str) -> None:
    print(f"numpy_reference: {message}", file=sys.stderr)
    sys.exit(2)


def load_model(path: Path) -> dict:
    """The scenario as arrays, refusing anything this reference does not implement."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    meta = raw["scenario"]
    base_year, end_year = int(meta["base_year"]), int(meta["end_year"])
    years = end_year - base_year
    ids, base, mean, sd = [], [], [], []
    for ind in raw.get("indicator", []):
        where = f"indicator {ind.get('id')!r}"
        if ind.get("kind") != "level" or ind.get("compounding") != "log":
            fail(f"{where}: only kind = \"level\" with compounding = \"log\" is implemented")
        if not isinstance(ind.get("base"), (int, float)):
            fail(f"{where}: only a known numeric base is implemented")
        growth = ind.get("growth", {})
        if growth.get("dist") != "normal" or set(growth) - {"dist", "mean", "sd"}:
            fail(f"{where}: only growth = {{ dist = \"normal\", mean, sd }} (one for all years) is implemented")
        if ind.get("persistence", 0) != 0:
            fail(f"{where}: persistence is not implemented")
        ids.append(ind["id"])
        base.append(float(ind["base"]))
        # feasim's growth is in percent; with log compounding X_t = X_{t-1} * exp(g / 100).
        mean.append(float(growth["mean"]) / 100.0)
        sd.append(float(growth["sd"]) / 100.0)
    k = len(ids)
    index = {name: i for i, name in enumerate(ids)}
    corr = np.eye(k)
    for c in raw.get("correlation", []):
        members = c.get("group") or c.get("between")
        if members is None or "rho" not in c or any(m not in index for m in members):
            fail(f"correlation {c}: only group/between lists of indicator ids with rho are implemented")
        for a in members:
            for b in members:
                if a != b:
                    corr[index[a], index[b]] = float(c["rho"])
    targets = []
    for t in raw.get("target", []):
        if t.get("metric", "value") != "value" or t.get("indicator") not in index or "versus" in t:
            fail(f"target {t.get('id')!r}: only metric = \"value\" of one indicator is implemented")
        if t["comparator"] not in (">=", ">", "<=", "<"):
            fail(f"target {t.get('id')!r}: unknown comparator {t['comparator']!r}")
        year = int(t["year"]) - base_year
        if not 1 <= year <= years:
            fail(f"target {t.get('id')!r}: year {t['year']} is not a projection year")
        targets.append(
            {
                "id": t["id"],
                "indicator": index[t["indicator"]],
                "year": year,
                "comparator": t["comparator"],
                "threshold": float(t["threshold"]),
            }
        )
    return {
        "name": meta.get("name", path.stem),
        "years": years,
        "ids": ids,
        "base": np.array(base),
        "mean": np.array(mean),
        "sd": np.array(sd),
        "corr": corr,
        "targets": targets,
    }


def exact_probability(model: dict, t: dict) -> float:
    """P(target) in closed form: log X_year ~ Normal(log base + year*mean, year*sd^2)."""
    i, n = t["indicator"], t["year"]
    mu = math.log(model["base"][i]) + n * model["mean"][i]
    sigma = math.sqrt(n) * model["sd"][i]
    zscore = (math.log(t["threshold"]) - mu) / sigma
    below = 0.5 * math.erfc(-zscore / math.sqrt(2.0))
    return 1.0 - below if t["comparator"] in (">=", ">") else below


def simulate(model: dict, paths: int, block: int, seed: int) -> np.ndarray:
    """Hit counts per target over `paths` paths, `block` paths at a time."""
    years, k = model["years"], len(model["ids"])
    chol = np.linalg.cholesky(model["corr"])  # lower triangular: corr = L @ L.T
    log_base = np.log(model["base"])
    rng = np.random.Generator(np.random.PCG64(seed))
    targets = model["targets"]
    hits = np.zeros(len(targets), dtype=np.int64)
    done = 0
    while done < paths:
        n = min(block, paths - done)
        e = rng.standard_normal((years, n, k))  # year by year, a (paths x K) matrix of normals
        z = e @ chol.T  # correlated: each year's (paths x K) @ L.T
        g = model["mean"] + model["sd"] * z  # yearly log-growth
        v = np.exp(log_base + np.cumsum(g, axis=0))  # levels, years 1..n
        for j, t in enumerate(targets):
            x = v[t["year"] - 1, :, t["indicator"]]
            thr = t["threshold"]
            cmp = t["comparator"]
            hit = x >= thr if cmp == ">=" else x > thr if cmp == ">" else x <= thr if cmp == "<=" else x < thr
            hits[j] += int(np.count_nonzero(hit))
        done += n
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", type=int, default=2_000_000, help="number of paths (default 2000000)")
    parser.add_argument("--block", type=int, default=1_000_000, help="paths per vectorised block (default 1000000)")
    parser.add_argument("--seed", type=int, default=1, help="PCG64 seed (default 1)")
    parser.add_argument("--scenario", type=Path, default=HERE / "reference-40.toml", help="scenario file")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="print only the summary lines, not every target")
    args = parser.parse_args()
    if args.paths < 1 or args.block < 1:
        fail("--paths and --block must be positive")

    model = load_model(args.scenario)
    start = time.perf_counter()
    hits = simulate(model, args.paths, args.block, args.seed)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rate = args.paths / seconds

    rows = []
    for t, h in zip(model["targets"], hits):
        p = h / args.paths
        rows.append(
            {
                "id": t["id"],
                "hits": int(h),
                "probability": p,
                "std_error": math.sqrt(p * (1.0 - p) / args.paths),
                "exact": exact_probability(model, t),
            }
        )
    worst = max(abs(r["probability"] - r["exact"]) / max(r["std_error"], 1e-300) for r in rows) if rows else 0.0

    print(
        f"numpy_reference: {model['name']}: {len(model['ids'])} indicators x {model['years']} years, "
        f"{args.paths} paths in blocks of {args.block}, Generator(PCG64({args.seed})), numpy {np.__version__}"
    )
    if not args.quiet:
        print(f"{'target':<8} {'P(hit)':>9} {'std err':>9} {'exact':>9}")
        for r in rows:
            print(f"{r['id']:<8} {r['probability']:9.5f} {r['std_error']:9.5f} {r['exact']:9.5f}")
    print(f"largest |P - exact| / std err: {worst:.2f}")
    print(f"simulation: {seconds:.3f} s, {rate:,.0f} paths/s")
    print(f"peak RSS: {peak_kib / 1024:.1f} MiB")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "scenario": model["name"],
                    "paths": args.paths,
                    "block": args.block,
                    "seed": args.seed,
                    "generator": "numpy.random.PCG64",
                    "numpy": np.__version__,
                    "seconds": seconds,
                    "paths_per_second": rate,
                    "peak_rss_kib": peak_kib,
                    "targets": rows,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
