#!/usr/bin/env python3
"""Enrollment check.

Enroll: diarize conversation A (allison, june_fr, carlo_it, ivr_ru); each found cluster's centroid
(normalised mean of its window embeddings, exactly what diarize() returns) is enrolled under the
reference speaker it overlaps most.
Test: diarize every other conversation; cosine similarity of every found speaker centroid to every
enrolled centroid; pairs are 'same' when the found cluster's majority reference speaker is the enrolled
one.  Conversations share no IVR prompt file with A (disjoint file partitions); E and L3 contain
Allison speaking SPANISH (enrolled from English in A).

  python enroll_check.py [param=value ...]
"""
import sys

import numpy as np

import diarize as D
import evaluate as EV
from der import der


def found_speakers(name, p):
    wav, ref = EV.load(name)
    segs, info = D.diarize(wav, EV.ENC, **p)
    r = der(ref, segs, 0.0)
    inv = {}
    for h, rr in r["mapping"].items():
        inv[h] = rr
    labs = sorted({l for _, _, l in segs}, key=lambda s: int(s[3:]))
    out = {}
    for i, C in enumerate(info["centroids"]):
        lab = "spk%d" % i
        out[lab] = (inv.get(lab, "?"), C)
    return out


def main():
    p = EV.parse(sys.argv[1:])
    enrolled = {spk: C for _, (spk, C) in found_speakers("A", p).items()}
    print("enrolled from A:", sorted(enrolled))
    same, diff, cross = [], [], []
    rows = []
    ident = lambda x: "allison" if x.startswith("allison") else x
    for n in EV.names():
        if n == "A":
            continue
        for lab, (spk, C) in found_speakers(n, p).items():
            sims = {e: float(C @ Ce) for e, Ce in enrolled.items()}
            best = max(sims, key=sims.get)
            for e, s in sims.items():
                if e == spk:
                    same.append(s)
                elif ident(e) == ident(spk):
                    cross.append(s)   # same woman, enrolled in English, heard in Spanish
                else:
                    diff.append(s)
            rows.append((n, lab, spk, best, sims))
            print("%-3s %-5s true=%-11s best=%-11s %s" % (n, lab, spk, best,
                  " ".join("%s:%.3f" % (e, s) for e, s in sorted(sims.items()))))
    same, diff = np.array(same), np.array(diff)
    print("same-speaker  n=%d min %.3f p5 %.3f mean %.3f max %.3f" % (len(same), same.min(), np.percentile(same, 5), same.mean(), same.max()))
    print("diff-speaker  n=%d min %.3f mean %.3f p95 %.3f max %.3f" % (len(diff), diff.min(), diff.mean(), np.percentile(diff, 95), diff.max()))
    print("same speaker, other language (Allison en -> es): %s" % ", ".join("%.3f" % x for x in cross))
    print("unenrolled speakers (librivox_f, jfk, dhd) best score: %s" % ", ".join(
        "%s/%s %.3f" % (r[0], r[2], max(r[4].values())) for r in rows if r[2] not in enrolled and ident(r[2]) != "allison"))
    thr = np.linspace(0.5, 1.0, 501)
    far = np.array([(diff >= t).mean() for t in thr])
    frr = np.array([(same < t).mean() for t in thr])
    i = int(np.argmin(np.abs(far - frr)))
    print("EER ~ %.1f%% at %.3f ; zero-error interval: (%.3f, %.3f)" % (100 * (far[i] + frr[i]) / 2, thr[i], diff.max(), same.min()))
    ok = sum(ident(r[2]) == ident(r[3]) for r in rows if ident(r[2]) in {ident(e) for e in enrolled})
    print("closest-enrolled identification correct for %d/%d found speakers that are enrolled (incl. cross-language)" % (
        ok, sum(ident(r[2]) in {ident(e) for e in enrolled} for r in rows)))


if __name__ == "__main__":
    main()
