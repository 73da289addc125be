"""Which scramble of Sobol' points gives the smaller Sobol'-index error at equal N?

Saltelli's design on the first N points of ONE 2d-dimensional Sobol' sequence (A = dimensions
0..d-1, B = d..2d-1, as SALib and `feasim sobol --sampling sobol` do), SALib's estimators (Saltelli
2010 first order, Jansen total, outputs standardised over all evaluations as SALib does), on the
Ishigami function and the Sobol' G function (a = 0, 1, 4.5, 9, 99, 99, 99, 99), against the exact
indices, many seeds per scramble. All scrambles start from the same unscrambled points (scipy's
Joe-Kuo direction numbers, the ones `sobol_burley` ships: the first 16 generator columns are equal):

  scipy      scipy's qmc.Sobol(scramble=True): LMS + digital shift (what SALib uses)
  hash       feasim's SobolPoint::uniform: Burley's hash approximation of Owen's scramble
             (sobol_burley 0.5 owen_scramble_rev on the bit-reversed integer), 21 random low bits
  owen       a true nested uniform (Owen) scramble
  lms-shift  Matousek's random linear scramble written from its definition: x' = L x + e over
             GF(2), L random lower triangular with unit diagonal, applied to the generator columns
  shift      a digital shift only (x' = x XOR e)
  lms        a random linear matrix scramble without shift
  hash-phi   hash, each uniform passed through Phi(Phi^-1(u)) as feasim maps a uniform input

Prints per case and scramble the RMSE over seeds of S1(x1), S1(x2), S1(x3), ST(x1..x3) and of
every S_i and ST_i (the metric of ./run), each with a 95% bootstrap interval over seeds, and the
median |error| of S1(x1). Needs numpy and scipy (the bench venv of ./run has both):

  ~/.cache/feasim-bench-venv/bin/python benches/compare-salib/scrambles.py [SEEDS] [N...]
      (defaults: 200 seeds, N = 4096 16384: 1-2 minutes on one core; 1000 seeds: 6-12)
"""
import sys
import time

import numpy as np
from scipy.stats import norm, qmc

BITS = 32


def columns(D):
    """Generator columns (D, 32) of the unscrambled sequence, digit 1 in the top bit."""
    return qmc.Sobol(D, scramble=False, bits=BITS)._sv.astype(np.uint64)


def points(cols, m):
    """The first 2^m points, natural order (the order does not matter: the estimators are
    symmetric in the points): x(i) = XOR of the columns of the bits of i."""
    x = np.zeros((1, cols.shape[0]), dtype=np.uint64)
    for k in range(m):
        x = np.concatenate([x, x ^ cols[:, k][None, :]])
    return x


def reverse32(x):
    x = x.astype(np.uint64)
    out = np.zeros_like(x)
    for b in range(32):
        out |= ((x >> np.uint64(b)) & np.uint64(1)) << np.uint64(31 - b)
    return out


def unit(high, rng):
    """32 scrambled bits + 21 random low bits + 1/2 ulp of 53 bits: feasim's uniform."""
    low = rng.integers(0, 1 << 21, size=high.shape, dtype=np.uint64)
    return ((high.astype(np.uint64) << np.uint64(21) | low).astype(np.float64) + 0.5) / 2.0**53


def hash_owen(X, cols, m, rng):
    n = reverse32(X).astype(np.uint32)
    s = rng.integers(0, 1 << 32, size=X.shape[1], dtype=np.uint64).astype(np.uint32)[None, :]
    with np.errstate(over="ignore"):
        n ^= n * np.uint32(0x3D20ADEA)
        n = n + s
        n = n * ((s >> np.uint32(16)) | np.uint32(1))
        n ^= n * np.uint32(0x05526C56)
        n ^= n * np.uint32(0x53A22864)
    return unit(reverse32(n), rng)


def owen(X, cols, m, rng):
    out = X.copy()
    for j in range(X.shape[1]):
        for level in range(m + 1):  # digit level+1 flipped by a random bit of its node
            node = (X[:, j] >> np.uint64(32 - level)) if level else np.zeros(len(X), np.uint64)
            flip = rng.integers(0, 2, size=1 << level, dtype=np.uint64)[node.astype(np.int64)]
            out[:, j] ^= flip << np.uint64(31 - level)
    # below digit m+1 every point of a 2^m-point net is alone in its node: iid digits
    out ^= rng.integers(0, 1 << (31 - m), size=X.shape, dtype=np.uint64)
    return unit(out, rng)


def gf2(L, v):
    """L (32 x 32, row r = output digit r + 1) times each column value in v."""
    shifts = np.uint64(BITS - 1) - np.arange(BITS, dtype=np.uint64)
    digits = (v[:, None] >> shifts[None, :]) & np.uint64(1)
    out = (digits @ L.T.astype(np.uint64)) & np.uint64(1)
    return (out << shifts[None, :]).sum(axis=1).astype(np.uint64)


def linear(lms, shift):
    def scramble(X, cols, m, rng):
        D = X.shape[1]
        new = cols.copy()
        if lms:  # L (XOR of columns) = XOR of (L column): scramble the columns once
            for j in range(D):
                L = np.tril(rng.integers(0, 2, size=(BITS, BITS)), -1)
                np.fill_diagonal(L, 1)
                new[j] = gf2(L, cols[j])
        P = points(new, m)
        if shift:
            P ^= rng.integers(0, 1 << 32, size=D, dtype=np.uint64)[None, :]
        return unit(P, rng)

    return scramble


def scipy_scramble(X, cols, m, rng):
    return qmc.Sobol(X.shape[1], scramble=True, rng=rng).random_base2(m)


SCRAMBLES = {
    "scipy": scipy_scramble,
    "hash": hash_owen,
    "owen": owen,
    "lms-shift": linear(True, True),
    "shift": linear(False, True),
    "lms": linear(True, False),
    "hash-phi": lambda X, cols, m, rng: norm.cdf(norm.ppf(hash_owen(X, cols, m, rng))),
}

A_G = np.array([0, 1, 4.5, 9, 99, 99, 99, 99])


def g_function(u):
    return np.prod((np.abs(4 * u - 2) + A_G) / (1 + A_G), axis=-1)


def g_exact():
    v = 1 / (3 * (1 + A_G) ** 2)
    total = np.prod(1 + v) - 1
    return v / total, np.array([v[i] * np.prod(np.delete(1 + v, i)) for i in range(8)]) / total


def ishigami(u):
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[..., 0]) + 7 * np.sin(x[..., 1]) ** 2 + 0.1 * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_exact():
    v = 49 / 8 + 0.1 * np.pi**4 / 5 + 0.01 * np.pi**8 / 18 + 0.5
    v1, v2, v13 = 0.5 * (1 + 0.1 * np.pi**4 / 5) ** 2, 49 / 8, 0.01 * np.pi**8 * (1 / 18 - 1 / 50)
    return np.array([v1, v2, 0]) / v, np.array([v1 + v13, v2, v13]) / v


CASES = {"ishigami": (ishigami, 3, ishigami_exact()), "g-function": (g_function, 8, g_exact())}


def indices(f, U, d):
    """SALib 1.6's analyze (first_order, total_order) on one design."""
    A, B = U[:, :d], U[:, d:]
    yA, yB = f(A), f(B)
    yAB = np.empty((d, len(A)))
    for i in range(d):
        AB = A.copy()
        AB[:, i] = B[:, i]
        yAB[i] = f(AB)
    y = np.concatenate([yA, yB, yAB.ravel()])
    mu, sd = y.mean(), y.std()
    yA, yB, yAB = (yA - mu) / sd, (yB - mu) / sd, (yAB - mu) / sd
    var = np.var(np.concatenate([yA, yB]))
    return np.mean(yB * (yAB - yA), axis=1) / var, 0.5 * np.mean((yA - yAB) ** 2, axis=1) / var


def rmse(sq, rng, resamples=2000):
    """sq: (seeds,) mean squared error per seed -> RMSE and its 95% bootstrap interval."""
    boot = np.sqrt(sq[rng.integers(0, len(sq), size=(resamples, len(sq)))].mean(axis=1))
    return np.sqrt(sq.mean()), *np.percentile(boot, [2.5, 97.5])


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sizes = [int(n) for n in sys.argv[2:]] or [4096, 16384]
    boot = np.random.default_rng(12345)
    print(f"{seeds} seeds; RMSE [95% bootstrap interval over seeds]; median |error| of S1(x1)")
    head = ["S1(x1)", "S1(x2)", "S1(x3)", "ST(x1..x3)", "every S, ST"]
    print(f"{'case':<10} {'N':>6} {'scramble':<10} " + " ".join(f"{h:<27}" for h in head) + " med|S1(x1)|")
    for case, (f, d, (s1, st)) in CASES.items():
        cols = columns(2 * d)
        for n in sizes:
            m = n.bit_length() - 1
            X = points(cols, m)
            for k, (name, scramble) in enumerate(SCRAMBLES.items()):
                t0 = time.time()
                e1, et = [], []
                for seed in range(seeds):
                    S1, ST = indices(f, scramble(X, cols, m, np.random.default_rng([k, seed, n, d])), d)
                    e1.append(S1 - s1)
                    et.append(ST - st)
                e1, et = np.array(e1), np.array(et)
                sq = [e1[:, 0] ** 2, e1[:, 1] ** 2, e1[:, 2] ** 2, (et[:, :3] ** 2).mean(axis=1),
                      (np.concatenate([e1, et], axis=1) ** 2).mean(axis=1)]
                cells = " ".join("{:.2e} [{:.2e},{:.2e}]".format(*rmse(s, boot)) for s in sq)
                print(f"{case:<10} {n:>6} {name:<10} {cells} {np.median(np.abs(e1[:, 0])):.1e}"
                      f"  ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
