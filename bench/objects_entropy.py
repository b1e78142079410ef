#!/usr/bin/env python3
"""Issue 13: how much can coding one member of a collection with the decoded values of the others
save at `bits:10`? An estimate of the conditional entropy, per member, from the best of a few
predictors, on held-out values:

    .venv/bin/python bench/objects_entropy.py ../shared/data/nanoAOD_2015_CMS_Open_Data_ttbar.root \
        --tree Events --collections Jet Muon Electron
    .venv/bin/python bench/objects_entropy.py ../shared/data/uproot-HZZ.root --tree events --offsets-only \
        --collections Jet Muon Electron Photon

At `bits:N` a non-zero value costs its sign, its binade and N mantissa bits (fewer when the file
stores fewer: NanoAOD rounds most floats to 8-12 bits). With L = log2|x| that is, per value,

    per-value bits ~ H(zero) + (1 - p0) (H(sign) + h(L) + b)

with h the differential entropy (Vasicek's estimator, scipy) and b = min(N, the mantissa bits the
file stores). A member coded with a prediction L^ of L from the other members costs h(L - L^)
instead of h(L) (as long as the residual spreads over many code steps, which it does here), so
the saving is h(L) - h(L - L^) bits per non-zero value: an estimate of I(L; others), the part a
learned model could take. Signs and zero flags are charged in full (no predictor here sees them).

Predictors, each fitted and evaluated by 5-fold cross-validation (every L^ is of a value the
predictor was not fitted on): least squares on the one or three others best correlated with L
(log|x| among them: a power law); ridge regression on the others' log|x|, zero flags and values;
the same with squares and pairwise products; k nearest neighbours; a small neural network (torch). The best one per member is
reported (a slight optimistic bias: several were tried). Each collection's last line gives what
its entry offsets cost (the same array in every member's basket). `--with-ints` adds the collection's integer
and boolean members to what the predictors see (object models today take float context only).
"""
import argparse

import numpy as np
import pcodec
import scipy.stats
import uproot

FOLDS = 5


def mantissa_bits(x):
    """The mantissa bits the file stores: 23 minus the fewest trailing zero bits of a non-zero value's mantissa."""
    m = x[x != 0].view(np.uint32) & 0x7FFFFF
    if m.size == 0:
        return 0
    trailing = np.where(m == 0, 23, np.log2((m & -m.astype(np.int64)).astype(np.float64)).astype(int))
    return 23 - int(np.percentile(trailing, 5))


def entropy(p):
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def log_magnitudes(x, bits, rng):
    """log2|x| of the non-zero values, each spread uniformly over its code step (b mantissa bits):
    values the file rounded to a few levels become a density whose h(L) + b is their entropy."""
    b = min(bits, mantissa_bits(x))
    magnitude = np.abs(x[x != 0].astype(np.float64))
    return np.log2(magnitude * (1 + (rng.random(magnitude.size) - 0.5) * 2.0**-b)), b


def per_value_bits(x, bits, rng):
    nonzero = x != 0
    p0 = 1 - nonzero.mean()
    if nonzero.sum() < 10:
        return None
    signs = np.signbit(x[nonzero]).mean()
    logs, b = log_magnitudes(x, bits, rng)
    h = scipy.stats.differential_entropy(logs, base=2)
    return entropy(np.array([p0, 1 - p0])) + (1 - p0) * (entropy(np.array([signs, 1 - signs])) + h + b), h, logs


def features(columns):
    """The others as predictors see them: log2|x| (0 for zero), a zero flag, the value (standardised)."""
    cols = []
    for x in columns:
        x = x.astype(np.float64)
        nz = x != 0
        cols += [np.where(nz, np.log2(np.abs(np.where(nz, x, 1))), 0.0), (~nz).astype(float), x]
    f = np.stack(cols, axis=1)
    sd = f.std(axis=0)
    keep = sd > 0
    return (f[:, keep] - f[:, keep].mean(axis=0)) / sd[keep]


def quadratic(f, top):
    f = f[:, :top]
    pairs = [f[:, i] * f[:, j] for i in range(f.shape[1]) for j in range(i, f.shape[1])]
    return np.column_stack([f] + pairs) if pairs else f


def folds(n, rng):
    order = rng.permutation(n)
    return [order[k::FOLDS] for k in range(FOLDS)]


def ridge_predictions(f, y, parts, lam):
    pred = np.empty_like(y)
    for test in parts:
        train = np.setdiff1d(np.arange(len(y)), test)
        a = np.column_stack([f[train], np.ones(len(train))])
        w = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ y[train])
        pred[test] = np.column_stack([f[test], np.ones(len(test))]) @ w
    return pred


def knn_predictions(f, y, parts, k):
    pred = np.empty_like(y)
    for test in parts:
        train = np.setdiff1d(np.arange(len(y)), test)
        d = ((f[test, None, :] - f[None, train, :]) ** 2).sum(axis=2)
        nearest = np.argsort(d, axis=1)[:, :k]
        pred[test] = y[train][nearest].mean(axis=1)
    return pred


def mlp_predictions(f, y, parts, seed):
    """A small network (two hidden layers of 32, weight decay), full-batch Adam on each training fold."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    pred = np.empty_like(y)
    for test in parts:
        train = np.setdiff1d(np.arange(len(y)), test)
        mean, sd = y[train].mean(), y[train].std() or 1.0
        xs = torch.tensor(f[train], dtype=torch.float32)
        ys = torch.tensor((y[train] - mean) / sd, dtype=torch.float32)
        net = torch.nn.Sequential(torch.nn.Linear(f.shape[1], 32), torch.nn.Tanh(), torch.nn.Linear(32, 32), torch.nn.Tanh(),
                                  torch.nn.Linear(32, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-3)
        for _ in range(200):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(net(xs).squeeze(1), ys)
            loss.backward()
            opt.step()
        with torch.no_grad():
            pred[test] = net(torch.tensor(f[test], dtype=torch.float32)).squeeze(1).numpy() * sd + mean
    return pred


def best_residual_entropy(f, y, rng):
    parts = folds(len(y), rng)
    # features ranked by |correlation| with y, for the quadratic terms and the neighbours
    corr = np.nan_to_num(np.abs([np.corrcoef(f[:, j], y)[0, 1] for j in range(f.shape[1])]))
    ranked = f[:, np.argsort(-corr)]
    candidates = {}
    for k in (1, 3):  # log-linear in the best one or three others: a power law (iso = c / pt), few parameters
        candidates[f"top{k}"] = ridge_predictions(ranked[:, :k], y, parts, 1e-6)
    for lam in (1.0, 10.0, 100.0):
        candidates[f"ridge({lam:g})"] = ridge_predictions(f, y, parts, lam)
        candidates[f"ridge2({lam:g})"] = ridge_predictions(quadratic(ranked, 8), y, parts, lam)
    for k in (5, 10, 20):
        candidates[f"knn({k})"] = knn_predictions(ranked[:, :6], y, parts, k)
    candidates["mlp"] = mlp_predictions(f, y, parts, int(rng.integers(1 << 30)))
    scored = {name: scipy.stats.differential_entropy(y - p, base=2) for name, p in candidates.items()}
    name = min(scored, key=scored.get)
    return scored[name], name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--tree", default="Events")
    parser.add_argument("--collections", nargs="+", default=["Jet", "Muon", "Electron"])
    parser.add_argument("--bits", type=int, default=10)
    parser.add_argument("--with-ints", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--offsets-only", action="store_true", help="only what each collection's entry offsets cost")
    args = parser.parse_args()
    tree = uproot.open(args.path)[args.tree]
    rng = np.random.default_rng(args.seed)
    for collection in args.collections:
        floats, others = {}, {}
        for name, branch in tree.items():
            if not name.startswith(collection + "_") or "[" not in branch.typename:
                continue
            values = np.asarray(tree[name].array(library="ak").layout.content.data)
            (floats if branch.typename.startswith("float") else others)[name] = values
        print(f"\n{collection}: {len(next(iter(floats.values())))} objects, {len(floats)} float members"
              f"{', context includes ' + str(len(others)) + ' integer/boolean members' if args.with_ints else ''}")
        print(f"{'member':<28}{'stored bits':>12}{'per-value b/v':>14}{'h(L)':>7}{'h(L|others)':>12}{'saved b/v':>10}{'saved':>7}  predictor")
        total_pv = total_saved = 0.0
        for name, x in floats.items():
            if args.offsets_only:
                break
            pv = per_value_bits(x, args.bits, rng)
            if pv is None:
                print(f"{name:<28}  (fewer than 10 non-zero values)")
                continue
            bits, h, logs = pv
            context = [v for k, v in floats.items() if k != name] + (list(others.values()) if args.with_ints else [])
            nz = x != 0
            h_cond, how = best_residual_entropy(features(context)[nz], logs, rng)
            saved = max(0.0, h - h_cond) * nz.mean()
            total_pv += bits * len(x)
            total_saved += saved * len(x)
            print(f"{name:<28}{mantissa_bits(x):>12}{bits:>14.2f}{h:>7.2f}{h_cond:>12.2f}{saved:>10.2f}{saved / bits:>7.1%}  {how}")
        # every member's basket stores the same entry offsets (ROOT's, of the shared counter): what
        # they cost each member, coded as the codec codes i32 runs (pcodec), all entries in one basket
        counts = np.asarray(tree[name].array(library="ak").layout.offsets.data)
        offsets = (counts * 4 + 70).astype(np.int32)  # byte offsets after a key of about 70 bytes
        offset_bytes = len(pcodec.standalone.simple_compress(offsets, pcodec.ChunkConfig()))
        print(f"entry offsets: {offset_bytes} B per member basket, {offset_bytes * (len(floats) - 1)} B in the "
              f"{len(floats) - 1} float members after the first")
        if not args.offsets_only:
            print(f"{collection + ' (all float members)':<28}{'':>12}{total_pv / 8:>13.0f}B{'':>19}{total_saved / 8:>9.0f}B"
                  f"{total_saved / total_pv:>7.1%}")


if __name__ == "__main__":
    main()
