"""Score feasim's and SALib's Sobol' indices against the exact values (see ./run).

Usage: compare.py WORK SEEDS N... (WORK holds feasim's outputs, WORK/<case>-<N>-<seed>-<design>/sobol.json).
"""
import json
import math
import statistics
import sys
import warnings

import numpy as np
from scipy.stats import norm
from SALib.analyze import sobol as analyze
from SALib.sample import sobol as sample

work, seeds, sizes = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3:]]

A_G = [0, 1, 4.5, 9, 99, 99, 99, 99]
A_LIN, C_LIN = [1.0, 2.0, 3.0], 2.0


def ishigami_exact():
    return [0.3139, 0.4424, 0.0], [0.5576, 0.4424, 0.2437]


def g_exact():
    v = [1 / (3 * (1 + a) ** 2) for a in A_G]
    total = np.prod([1 + x for x in v]) - 1
    first = [x / total for x in v]
    totals = [x * np.prod([1 + y for j, y in enumerate(v) if j != i]) / total for i, x in enumerate(v)]
    return first, totals


def linear_exact():
    s = sum(a * a for a in A_LIN)
    return [a * a / s for a in A_LIN], [a * a / s for a in A_LIN]


def linear_hit_exact():
    """Indices of 1{x1 + 2 x2 + 3 x3 >= 2} (standard normal x), by quadrature on a fine grid."""
    s = sum(a * a for a in A_LIN)
    p = 1 - norm.cdf(C_LIN / math.sqrt(s))
    x = np.linspace(-12, 12, 240_001)
    w = norm.pdf(x) * (x[1] - x[0])
    first, total = [], []
    for a in A_LIN:
        sigma = math.sqrt(s - a * a)
        first.append((np.sum(norm.cdf((a * x - C_LIN) / sigma) ** 2 * w) - p * p) / (p * (1 - p)))
        g = norm.cdf((sigma * x - C_LIN) / a)
        total.append(np.sum(g * (1 - g) * w) / (p * (1 - p)))
    return first, total


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def g_function(x):
    return np.prod([(np.abs(4 * x[:, i] - 2) + a) / (1 + a) for i, a in enumerate(A_G)], axis=0)


def linear(x):
    return x @ np.array(A_LIN)


def linear_hit(x):
    return (linear(x) >= C_LIN).astype(float)


# case: (scenario name, quantity in sobol.json, d, SALib problem extras, f, exact)
UNIFORM_PI = {"bounds": [[-np.pi, np.pi]] * 3}
NORMAL = {"bounds": [[0, 1]] * 3, "dists": ["norm"] * 3}
CASES = {
    "ishigami": ("ishigami", "metric", 3, UNIFORM_PI, ishigami, ishigami_exact()),
    "g-function": ("g-function", "metric", 8, {"bounds": [[0, 1]] * 8}, g_function, g_exact()),
    "linear": ("linear", "metric", 3, NORMAL, linear, linear_exact()),
    "linear-hit": ("linear", "hit", 3, NORMAL, linear_hit, linear_hit_exact()),
}


def feasim_indices(case, n, seed, design):
    scenario, quantity, d, _, _, _ = CASES[case]
    result = json.load(open(f"{work}/{scenario}-{n}-{seed}-{design}/sobol.json"))
    groups = {g["group"]: g for g in result["targets"][0][quantity]["groups"]}
    est = [groups[f"x{i + 1}:base"][k] for k in ("first", "total") for i in range(d)]
    return [e["value"] for e in est], [(e["low"], e["high"]) for e in est]


def salib_indices(case, n, seed):
    _, _, d, extras, f, _ = CASES[case]
    problem = {"num_vars": d, "names": [f"x{i + 1}" for i in range(d)], **extras}
    x = sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    r = analyze.analyze(problem, f(x), calc_second_order=False, seed=seed)
    values = list(r["S1"]) + list(r["ST"])
    conf = list(r["S1_conf"]) + list(r["ST_conf"])
    return values, [(v - c, v + c) for v, c in zip(values, conf)]


def score(runs, exact):
    """RMSE over seeds and indices, mean half-width of the 95% intervals, and their coverage."""
    truth = list(exact[0]) + list(exact[1])
    sq, widths, covered = [], [], []
    for values, intervals in runs:
        for v, (lo, hi), t in zip(values, intervals, truth):
            sq.append(float(v - t) ** 2)
            widths.append(float(hi - lo) / 2)
            covered.append(float(lo <= t <= hi))
    return math.sqrt(statistics.mean(sq)), statistics.mean(widths), statistics.mean(covered)


warnings.simplefilter("ignore")
print(f"{seeds} seeds per row; over every S_i and ST_i: root mean square error, mean half-width of the")
print("95% interval, and the fraction of intervals covering the exact value. Equal N: every method makes")
print("N·(d + 2) model evaluations.")
print(f"{'case':<11} {'N':>6} {'method':<40} {'RMSE':>8} {'±half':>8} {'cover':>6}")
for case in CASES:
    for n in sizes:
        methods = {
            "feasim, independent paths (bootstrap)": lambda s: feasim_indices(case, n, s, "independent"),
            "feasim --sampling sobol (one sequence)": lambda s: feasim_indices(case, n, s, "sobol"),
            "SALib, scrambled Sobol' (bootstrap)": lambda s: salib_indices(case, n, s),
        }
        for method, run in methods.items():
            rmse, half, cover = score([run(seed) for seed in range(1, seeds + 1)], CASES[case][5])
            print(f"{case:<11} {n:>6} {method:<40} {rmse:8.5f} {half:8.5f} {cover:6.3f}")
