#!/usr/bin/env python3
"""Fits the completion model's logistic calibration (src/pipeline/completion.cpp).

    scripts/calibrate-completion.py FEATURES.tsv

FEATURES.tsv: one line per labelled turn of tests/unit/pipeline/data/turns.tsv, as printed by
`VOXA_DUMP_FEATURES=1 build/pipeline_tests --gtest_filter=CompletionModel.HeldOutAccuracy`
(keep the lines that start with a number):
index, label (C/I), endLogProb, afterTo, objectLogProb, order, unknownLast, trailingWord,
shortDigits, last word, text.
Fits on the lines whose index is not divisible by 3 (with 5-fold cross-validation inside
them), reports accuracy on those that are (the held-out set), for sets of features (names
as in load(); COMBOS="end+list end+list+dig" picks some, L2=0.001 the penalty) and for the
trailing-word list alone. A second argument naming a set prints its held-out misses.
No numpy: plain gradient descent with a small L2 penalty (the set is ~210 lines).
"""
import math
import os
import sys

L2 = float(os.environ.get("L2", "0.001"))



def load(path):
    rows = []
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if len(p) < 11 or not p[0].isdigit():
            continue
        rows.append(dict(i=int(p[0]), y=1.0 if p[1] == "I" else 0.0, end=float(p[2]),
                         to=float(p[3]), obj=float(p[4]), tri=1.0 if int(p[5]) >= 3 else 0.0,
                         unk=float(p[6]), list=float(p[7]), dig=float(p[8]), last=p[9],
                         text=p[10]))
    return rows


def vec(r, names):
    return [1.0] + [r[n] for n in names]


def fit(rows, names, l2=L2, steps=4000, lr=1.0):
    w = [0.0] * (len(names) + 1)
    for _ in range(steps):
        g = [0.0] * len(w)
        for r in rows:
            x = vec(r, names)
            p = 1 / (1 + math.exp(-sum(a * b for a, b in zip(w, x))))
            for k in range(len(w)):
                g[k] += (p - r["y"]) * x[k]
        for k in range(len(w)):
            w[k] -= lr * (g[k] / len(rows) + (l2 * w[k] if k else 0))
    return w


def prob(w, r, names):
    z = sum(a * b for a, b in zip(w, vec(r, names)))
    return 1 / (1 + math.exp(-z))


def acc(pred, rows):
    return sum(1 for p, r in zip(pred, rows) if (p > 0.5) == (r["y"] > 0.5)) / len(rows)


def main():
    rows = load(sys.argv[1])
    train = [r for r in rows if r["i"] % 3]
    test = [r for r in rows if r["i"] % 3 == 0]
    print(f"train {len(train)}  held-out {len(test)}")
    print(f"trailing-word list alone: train {acc([r['list'] for r in train], train):.3f}"
          f"  held-out {acc([r['list'] for r in test], test):.3f}")
    for r in rows:  # the object mass counts after "to <verb>" only, relative to the end
        r["objend"] = r["obj"] - r["end"] if r["to"] else 0.0
    combos = [c.split("+") for c in os.environ.get("COMBOS", "").split()] or [
        ["end"], ["end", "list"], ["end", "list", "dig"], ["end", "list", "dig", "to"],
        ["end", "list", "dig", "objend"], ["end", "list", "dig", "to", "objend"],
        ["end", "unk", "tri", "list", "dig", "to", "objend"]]
    for names in combos:
        # Features are chosen by 5-fold cross-validation inside the training part; the
        # held-out part only reports.
        folds = [[r for k, r in enumerate(train) if k % 5 == f] for f in range(5)]
        cv = 0
        for f in range(5):
            rest = [r for g in range(5) if g != f for r in folds[g]]
            wf = fit(rest, names, steps=1500)
            cv += sum(1 for r in folds[f] if (prob(wf, r, names) > 0.5) == (r["y"] > 0.5))
        cv /= len(train)
        w = fit(train, names)
        tr = acc([prob(w, r, names) for r in train], train)
        te = acc([prob(w, r, names) for r in test], test)
        print(f"{'+'.join(names):28s} train {tr:.3f}  cv {cv:.3f}  held-out {te:.3f}  w = "
              + ", ".join(f"{v:.4f}" for v in w))
        if len(sys.argv) > 2 and sys.argv[2] == "+".join(names):
            for r in test:
                p = prob(w, r, names)
                if (p > 0.5) != (r["y"] > 0.5):
                    print(f"   miss {p:.2f} {'I' if r['y'] else 'C'} {r['text']}")


main()
