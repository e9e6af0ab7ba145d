#!/usr/bin/env python3
"""Fits the router's cue weights (Sources/ComputeRouter/TurnDifficulty.swift).

Input: the --cases-out file of `parley eval --mode all` (or local + remote) on a
labelled set. Each case gives a target, the gain from escalating it:
remote-only success minus local-only success (-1, 0 or 1), and the router's
cues for its turn (computed from the input only, `route_cues`). A ridge
regression of gain on the cue indicators gives each cue's expected gain; the
router escalates turns whose summed gain reaches its threshold.

Prints the Swift table to paste, and a 5-fold cross-validated check: success
at <= 50% escalation for out-of-fold scores, against random routing.

Usage: scripts/train-router.py CASES.jsonl... [--ridge 1.0] [--cues CUES.jsonl]
(several files: their rows are joined by case id and mode; --cues takes each
case's cues from `parley eval --route-cues SET…` instead, so new cues can be
fitted on old outcomes: the outcomes of local-only and remote-only runs do not
depend on the router)
"""
import json
import random
import sys

import numpy as np


def load(paths, cues_file=None):
    override = {}
    if cues_file:
        for line in open(cues_file):
            r = json.loads(line)
            override[r["id"]] = r["route_cues"]
    rows = {}
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            rows.setdefault(r["id"], {})[r["mode"]] = r
    cases = []
    for cid, modes in rows.items():
        if "local" in modes and "remote" in modes:
            # cues come from the input only, so any mode's row of the case has them
            cues = override.get(cid) if cues_file else next((m["route_cues"] for m in modes.values() if "route_cues" in m), None)
            if cues is None:
                sys.exit(f"{cid}: no route_cues in any row: rerun `parley eval` with this build")
            cases.append((cid, cues, float(modes["local"]["success"]), float(modes["remote"]["success"])))
    return cases


def fit(cases, names, ridge):
    x = np.array([[1.0] + [1.0 if n in c[1] else 0.0 for n in names] for c in cases])
    y = np.array([c[3] - c[2] for c in cases])
    penalty = ridge * np.eye(len(names) + 1)
    penalty[0, 0] = 0  # the intercept is not shrunk
    w = np.linalg.solve(x.T @ x + penalty, x.T @ y)
    return w[0], dict(zip(names, w[1:]))


def score(cues, intercept, weights):
    return min(1.0, max(0.0, intercept + sum(weights.get(c, 0.0) for c in cues)))


def routed_at_half(cases, scores):
    order = sorted(range(len(cases)), key=lambda i: -scores[i])
    k = len(cases) // 2
    up = set(order[:k])
    routed = sum(c[3] if i in up else c[2] for i, c in enumerate(cases)) / len(cases)
    local = sum(c[2] for c in cases) / len(cases)
    remote = sum(c[3] for c in cases) / len(cases)
    share = k / len(cases)
    return routed, share * remote + (1 - share) * local, local, remote


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    ridge = 1.0
    if "--ridge" in args:
        i = args.index("--ridge")
        ridge = float(args[i + 1])
        del args[i:i + 2]
    cues_file = None
    if "--cues" in args:
        i = args.index("--cues")
        cues_file = args[i + 1]
        del args[i:i + 2]
    cases = load(args, cues_file)
    names = sorted({c for case in cases for c in case[1]})
    intercept, weights = fit(cases, names, ridge)
    print(f"{len(cases)} cases, cues: {', '.join(names)}")
    print("    public static let intercept = %.3f" % intercept)
    print("    public static let weights: [String: Double] = [")
    for n in names:
        print(f'        "{n}": {weights[n]:.3f},')
    print("    ]")

    folds = 5
    idx = list(range(len(cases)))
    random.Random(0).shuffle(idx)
    oof = [0.0] * len(cases)
    for f in range(folds):
        test = set(idx[f::folds])
        train = [c for i, c in enumerate(cases) if i not in test]
        b, w = fit(train, names, ridge)
        for i in test:
            oof[i] = score(cases[i][1], b, w)
    routed, rand, local, remote = routed_at_half(cases, oof)
    print(f"5-fold out-of-fold, top half escalated: routed {routed:.3f}, random {rand:.3f}, "
          f"local {local:.3f}, remote {remote:.3f} (routed/remote {routed / remote if remote else float('nan'):.3f})")


main()
