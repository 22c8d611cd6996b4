#!/usr/bin/env python3
"""Diarization error rate (NIST md-eval style), frame based at 10 ms resolution.

DER = (missed speech + false alarm speech + speaker confusion) / total reference speech
  per scored frame: n_ref = #reference speakers, n_hyp = #hypothesis speakers, n_corr = #ref speakers
  that are also active (under the optimal mapping) in the hypothesis;
  miss += max(0, n_ref - n_hyp); fa += max(0, n_hyp - n_ref); conf += min(n_ref, n_hyp) - n_corr;
  total += n_ref.  (Handles overlapping reference speech in the standard way.)
Optimal one-to-one hyp->ref speaker mapping: Hungarian algorithm on the co-occurrence time matrix
  (scipy.optimize.linear_sum_assignment, maximising overlap), computed on the scored frames.
Collar: frames within +-collar seconds of any reference segment start or end are not scored
  (md-eval's "-c 0.25" convention: 0.25 s each side of a boundary, 0.5 s total).

Usage: python der.py ref.rttm hyp.rttm [--collar 0.25]
"""
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment

STEP = 0.01


def read_rttm(path):
    segs = []
    with open(path) as fh:
        for line in fh:
            p = line.split()
            if not p or p[0] != "SPEAKER":
                continue
            s, d = float(p[3]), float(p[4])
            segs.append((s, s + d, p[7]))
    return segs


def write_rttm(path, segs, uri="conv"):
    with open(path, "w") as fh:
        for s, e, lab in segs:
            fh.write("SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n" % (uri, s, e - s, lab))


def _matrix(segs, n, labels):
    m = np.zeros((len(labels), n), bool)
    for s, e, lab in segs:
        a, b = int(round(s / STEP)), int(round(e / STEP))
        m[labels.index(lab), max(0, a):min(n, b)] = True
    return m


def der(ref, hyp, collar=0.0):
    """ref, hyp: lists of (start, end, label). Returns dict with DER and components (seconds)."""
    end = max([e for _, e, _ in ref] + [e for _, e, _ in hyp] + [0])
    n = int(np.ceil(end / STEP)) + 1
    rl = sorted({l for _, _, l in ref})
    hl = sorted({l for _, _, l in hyp})
    R = _matrix(ref, n, rl)
    H = _matrix(hyp, n, hl)
    score = np.ones(n, bool)
    if collar > 0:
        c = int(round(collar / STEP))
        for s, e, _ in ref:
            for b in (int(round(s / STEP)), int(round(e / STEP))):
                score[max(0, b - c):min(n, b + c)] = False
    R, H = R[:, score], H[:, score]
    mapping = {}
    if rl and hl:
        co = R.astype(np.float64) @ H.T.astype(np.float64)  # (n_ref, n_hyp) overlap frames
        ri, hi = linear_sum_assignment(-co)
        mapping = {hl[h]: rl[r] for r, h in zip(ri, hi) if co[r, h] > 0}
    nref = R.sum(0)
    nhyp = H.sum(0)
    corr = np.zeros(R.shape[1], np.int64)
    for h, r in mapping.items():
        corr += (R[rl.index(r)] & H[hl.index(h)])
    miss = np.maximum(0, nref - nhyp).sum()
    fa = np.maximum(0, nhyp - nref).sum()
    conf = (np.minimum(nref, nhyp) - corr).sum()
    total = nref.sum()
    return {"DER": (miss + fa + conf) / max(total, 1), "miss": miss * STEP, "fa": fa * STEP,
            "conf": conf * STEP, "total": total * STEP, "n_ref": len(rl), "n_hyp": len(hl), "mapping": mapping}


if __name__ == "__main__":
    collar = 0.25
    args = [a for a in sys.argv[1:]]
    if "--collar" in args:
        i = args.index("--collar")
        collar = float(args[i + 1])
        del args[i:i + 2]
    r = der(read_rttm(args[0]), read_rttm(args[1]), collar)
    r0 = der(read_rttm(args[0]), read_rttm(args[1]), 0.0)
    print("collar %.2f: DER %.2f%% (miss %.2fs fa %.2fs conf %.2fs / %.2fs)  speakers ref %d hyp %d" % (
        collar, 100 * r["DER"], r["miss"], r["fa"], r["conf"], r["total"], r["n_ref"], r["n_hyp"]))
    print("collar 0.00: DER %.2f%% (miss %.2fs fa %.2fs conf %.2fs / %.2fs)" % (
        100 * r0["DER"], r0["miss"], r0["fa"], r0["conf"], r0["total"]))
