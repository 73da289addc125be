"""Tabulate feasim's and SALib's Sobol' index errors against the exact values (see ./run)."""
import json
import statistics
import sys

import numpy as np
from SALib.analyze import sobol as analyze
from SALib.sample import sobol as sample

work, seeds, sizes = sys.argv[1], int(sys.argv[2]), [int(n) for n in sys.argv[3:]]

A_G = [0, 1, 4.5, 9, 99, 99, 99, 99]


def ishigami_exact():
    return [0.3139, 0.4424, 0.0], [0.5576, 0.4424, 0.2437]


def g_exact():
    v = [1 / (3 * (1 + a) ** 2) for a in A_G]
    total = np.prod([1 + x for x in v]) - 1
    first = [x / total for x in v]
    totals = [x * np.prod([1 + y for j, y in enumerate(v) if j != i]) / total for i, x in enumerate(v)]
    return first, totals


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def g_function(x):
    return np.prod([(np.abs(4 * x[:, i] - 2) + a) / (1 + a) for i, a in enumerate(A_G)], axis=0)


FUNCTIONS = {
    "ishigami": (3, [[-np.pi, np.pi]] * 3, ishigami, ishigami_exact()),
    "g-function": (8, [[0, 1]] * 8, g_function, g_exact()),
}


def feasim_indices(name, n, seed, design, d):
    result = json.load(open(f"{work}/{name}-{n}-{seed}-{design}/sobol.json"))
    groups = {g["group"]: g for g in result["targets"][0]["metric"]["groups"]}
    first = [groups[f"x{i + 1}:base"]["first"]["value"] for i in range(d)]
    total = [groups[f"x{i + 1}:base"]["total"]["value"] for i in range(d)]
    return first, total


def salib_indices(name, n, seed):
    d, bounds, f, _ = FUNCTIONS[name]
    problem = {"num_vars": d, "names": [f"x{i + 1}" for i in range(d)], "bounds": bounds}
    x = sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    result = analyze.analyze(problem, f(x), calc_second_order=False, seed=seed)
    return list(result["S1"]), list(result["ST"])


def errors(estimate, exact):
    first, total = estimate
    e1 = [abs(a - b) for a, b in zip(first, exact[0])]
    et = [abs(a - b) for a, b in zip(total, exact[1])]
    return statistics.mean(e1), statistics.mean(et), max(e1 + et)


print(f"median over {seeds} seeds of: mean |error| of S_i, of ST_i, and the largest |error| over S_i and ST_i")
print(f"{'function':<11} {'N':>6} {'method':<34} {'S_i':>8} {'ST_i':>8} {'max':>8}")
for name, (d, _, _, exact) in FUNCTIONS.items():
    for n in sizes:
        methods = {
            "feasim, independent paths": lambda s: feasim_indices(name, n, s, "independent", d),
            "feasim --sampling sobol": lambda s: feasim_indices(name, n, s, "sobol", d),
            "SALib Saltelli, scrambled Sobol'": lambda s: salib_indices(name, n, s),
        }
        for method, run in methods.items():
            errs = [errors(run(seed), exact) for seed in range(1, seeds + 1)]
            med = [statistics.median(e[k] for e in errs) for k in range(3)]
            print(f"{name:<11} {n:>6} {method:<34} {med[0]:8.5f} {med[1]:8.5f} {med[2]:8.5f}")
