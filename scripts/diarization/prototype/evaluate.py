#!/usr/bin/env python3
"""Evaluate diarize.py over all assemblies in conv/ with a given parameter set, or sweep.

  python evaluate.py                       # defaults, table over all conv/*.wav
  python evaluate.py win=100 hop=100 method=spectral
  python evaluate.py --sweep               # clustering-parameter sweep (embeddings cached per win/hop)
"""
import glob
import itertools
import os
import sys
import time

import numpy as np

import diarize as D
from der import der, read_rttm
from encoder import SR, Encoder, load_audio

ENC = Encoder()
_cache = {}


def load(name):
    if name not in _cache:
        _cache[name] = (load_audio("conv/%s.wav" % name), read_rttm("conv/%s.rttm" % name))
    return _cache[name]


def names():
    return sorted(os.path.basename(f)[:-4] for f in glob.glob("conv/*.wav"))


_emb = {}


def run(name, p):
    wav, ref = load(name)
    key = (name, p["win"], p["hop"], p["frame_stride"], p["place"], p["reg_min"]) + tuple(p[k] for k in sorted(p) if k.startswith("vad"))
    if key not in _emb:
        _emb[key] = D.embed_regions(wav, ENC, p) if p["place"] == "regions" else D.embed_stream(wav, ENC, p)
    if p["place"] == "regions":
        mel, sp, st, ln, reg, E = _emb[key]
        segs, labels, C = D.segment_regions(sp, st, ln, reg, E, p)
    else:
        mel, sp, idx, starts, E, w_eff = _emb[key]
        segs, labels, C = D.segment(sp, idx, starts, w_eff, E, p)
    r25 = der(ref, segs, 0.25)
    r0 = der(ref, segs, 0.0)
    return r25, r0, len(E), len(wav) / SR


def table(p, verbose=True):
    rows = []
    for n in names():
        r25, r0, nw, dur = run(n, p)
        rows.append((n, dur, r25, r0, nw))
        if verbose:
            print("%s %6.1fs  DER(c=.25) %5.2f%%  DER(c=0) %5.2f%%  miss %.2f fa %.2f conf %.2f | spk ref %d hyp %d | windows %d" % (
                n, dur, 100 * r25["DER"], 100 * r0["DER"], r0["miss"], r0["fa"], r0["conf"], r25["n_ref"], r25["n_hyp"], nw))
    return rows


def parse(args):
    p = dict(D.DEFAULTS)
    for a in args:
        k, v = a.split("=")
        p[k] = type(D.DEFAULTS[k])(v)
    return p


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    p = parse(args)
    if "--sweep" in sys.argv:
        grid = dict(method=["ahc"], ahc_thr=[0.25, 0.3, 0.35, 0.4, 0.45, 0.5], merge_thr=[0.7, 0.75, 0.8, 0.85, 0.9, 1.1],
                    min_cluster_s=[1.0, 2.0, 4.0])
        if p["method"] == "spectral":
            grid = dict(method=["spectral"], sc_keep=[0.1, 0.2, 0.3, 0.5], merge_thr=[0.75, 0.8, 0.85, 0.9, 1.1],
                        min_cluster_s=[1.0, 2.0, 4.0])
        keys = list(grid)
        res = []
        for vals in itertools.product(*grid.values()):
            q = dict(p, **dict(zip(keys, vals)))
            rows = table(q, verbose=False)
            ders = [r[2]["DER"] for r in rows]
            ok = sum(r[2]["n_ref"] == r[2]["n_hyp"] for r in rows)
            res.append((max(ders), np.mean(ders), ok, vals))
        res.sort(key=lambda r: (-r[2], r[0]))
        print("keys:", keys)
        for r in res[:25]:
            print("max DER %.2f%% mean %.2f%% correct count %d/%d  %s" % (100 * r[0], 100 * r[1], r[2], len(names()), r[3]))
    else:
        rows = table(p)
        d = [r[2]["DER"] for r in rows]
        print("mean DER(c=.25) %.2f%%  max %.2f%%  mean DER(c=0) %.2f%%  correct count %d/%d" % (
            100 * np.mean(d), 100 * max(d), 100 * np.mean([r[3]["DER"] for r in rows]),
            sum(r[2]["n_ref"] == r[2]["n_hyp"] for r in rows), len(rows)))
