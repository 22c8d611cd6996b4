#!/usr/bin/env python3
"""Speaker diarization with the numpy Resemblyzer encoder.

Pipeline (all parameters in DEFAULTS, every one is used below):
 1. audio 16 kHz mono float -> volume normalisation to -30 dBFS, increase only (as resemblyzer).
 2. energy VAD on 10 ms frames (same 400-sample centred frames as the mel spectrogram):
      e[t] = 10*log10(sum of squared samples of frame t + 1e-10) (cumulative-sum trick),
      smoothed by a centred moving average of vad_smooth frames;
      floor = 10th percentile of e, peak = 95th percentile;
      speech where e > floor + vad_rel * (peak - floor);
      non-speech gaps shorter than vad_bridge s are filled; speech runs shorter than vad_min s dropped;
      each run is widened by vad_pad s on both sides.
 3. power mel spectrogram (encoder.mel_spectrogram) only for frames read by some window.
 4. place="stream": speech-only stream: mel rows of speech frames concatenated (pauses removed, as resemblyzer's
    trim_long_silences does); fixed windows of `win` frames every `hop` frames over that stream
    (last window right-aligned to the end of the stream; if the stream is shorter than `win`,
    one window of the whole stream).  All windows go through the LSTM as ONE batch.
 5. clustering of the L2-normalised window embeddings with automatic speaker count:
      'ahc'     : average-linkage agglomerative clustering on cosine distance, cut at ahc_thr;
      'spectral': cosine affinity, per-row p-pruning (keep the top sc_keep fraction), symmetrised,
                  normalised Laplacian, k = argmax eigengap in [min_spk, max_spk], k-means on the
                  row-normalised eigenvectors;
    then: clusters whose total window duration < min_cluster_s are dissolved (their windows are
    re-assigned to the nearest remaining centroid); centroid merging while two centroids have cosine
    > merge_thr; refine_iters rounds of (assign windows to nearest centroid, recompute centroids).
 6. resegmentation: cosine similarity of every window to every centroid, linearly interpolated between
    window centres onto every speech frame of the stream; frame label = argmax; label runs shorter
    than min_run s are absorbed by the neighbour (repeatedly, shortest first); mapped back to time.
 7. output: segments (start, end, label); non-speech frames separate segments.

Overlap policy: one label per frame.  In overlapped speech the frame gets the speaker whose centroid
is most similar (the dominant voice); the second voice is counted as missed speech.  Windows of mixed
speech never create a new speaker because of min_cluster_s + merge_thr + re-assignment.
"""
import json
import sys
import time

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from encoder import HOP, SR, Encoder, frame_energy_db, load_audio, mel_spectrogram, normalize_volume

FRAME = HOP / SR  # 0.01 s

DEFAULTS = dict(
    win=100, hop=300, frame_stride=1, place="regions", reg_min=0.5, min_windows=60, max_cluster_windows=800,
    vad_smooth=5, vad_rel=0.2, vad_bridge=0.3, vad_min=0.15, vad_pad=0.1,
    method="spectral", ahc_thr=0.25, sc_keep=0.2, min_spk=1, max_spk=8,
    min_cluster_s=2.0, merge_thr=1.1, refine_iters=2, min_run=0.5,
)


# ------------------------------------------------------------------ VAD
def _runs(mask):
    """(start, end) index pairs of True runs."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return list(zip(np.where(d == 1)[0], np.where(d == -1)[0]))


def energy_vad(e, p):
    """e: per-frame energy in dB (10 ms hop)."""
    e = np.asarray(e, dtype=np.float64)
    k = p["vad_smooth"]
    if k > 1:
        e = np.convolve(e, np.ones(k) / k, mode="same")
    floor, peak = np.percentile(e, 10), np.percentile(e, 95)
    sp = e > floor + p["vad_rel"] * (peak - floor)
    # bridge short gaps
    bridge = int(round(p["vad_bridge"] / FRAME))
    for s, t in _runs(~sp):
        if s > 0 and t < len(sp) and t - s < bridge:
            sp[s:t] = True
    # drop short speech runs
    mn = int(round(p["vad_min"] / FRAME))
    for s, t in _runs(sp):
        if t - s < mn:
            sp[s:t] = False
    pad = int(round(p["vad_pad"] / FRAME))
    if pad:
        out = sp.copy()
        for s, t in _runs(sp):
            out[max(0, s - pad):min(len(sp), t + pad)] = True
        sp = out
    return sp


# ------------------------------------------------------------------ clustering helpers
def _norm(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _centroids(E, labels):
    labs = np.unique(labels)
    return labs, _norm(np.stack([E[labels == l].mean(0) for l in labs]))


def kmeans(X, k, seed=0, iters=50, n_init=5):
    rng = np.random.default_rng(seed)
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        C = [X[rng.integers(len(X))]]
        for _ in range(1, k):  # k-means++
            d = np.min(((X[:, None, :] - np.array(C)[None]) ** 2).sum(-1), axis=1)
            C.append(X[rng.choice(len(X), p=d / d.sum())] if d.sum() > 0 else X[rng.integers(len(X))])
        C = np.array(C)
        for _ in range(iters):
            lab = np.argmin(((X[:, None, :] - C[None]) ** 2).sum(-1), axis=1)
            newC = np.array([X[lab == j].mean(0) if np.any(lab == j) else C[j] for j in range(k)])
            if np.allclose(newC, C):
                break
            C = newC
        inertia = ((X - C[lab]) ** 2).sum()
        if inertia < best_inertia:
            best, best_inertia = lab, inertia
    return best


def spectral(E, p):
    n = len(E)
    A = E @ E.T
    keep = max(1, int(np.ceil(p["sc_keep"] * n)))
    P = np.zeros_like(A)
    idx = np.argsort(-A, axis=1)[:, :keep]
    rows = np.arange(n)[:, None]
    P[rows, idx] = A[rows, idx]
    P = np.maximum(P, 0)
    P = 0.5 * (P + P.T)
    d = P.sum(1)
    Dm = 1 / np.sqrt(np.maximum(d, 1e-12))
    L = np.eye(n) - Dm[:, None] * P * Dm[None, :]
    w, V = np.linalg.eigh(L)
    kmax = min(p["max_spk"], n - 1)
    gaps = np.diff(w[:kmax + 1])
    lo = max(p["min_spk"], 1)
    k = lo + int(np.argmax(gaps[lo - 1:kmax]))
    if k == 1:
        return np.zeros(n, int)
    X = _norm(V[:, :k])
    return kmeans(X, k)


def cluster(E, p, win_dur):
    n = len(E)
    if n == 1:
        return np.zeros(1, int)
    cap = p["max_cluster_windows"]
    if cap and n > cap:
        # long recordings: cluster an evenly spaced subset (O(n^3) eigen-decomposition), then assign
        # every window to the nearest centroid of the subset's clusters
        sub = np.round(np.linspace(0, n - 1, cap)).astype(int)
        lab_sub = cluster(E[sub], dict(p, max_cluster_windows=0), win_dur * n / cap)
        labs, C = _centroids(E[sub], lab_sub)
        return np.argmax(E @ C.T, axis=1)
    if p["method"] == "ahc":
        Z = linkage(E, method="average", metric="cosine")
        labels = fcluster(Z, t=p["ahc_thr"], criterion="distance") - 1
    else:
        labels = spectral(E, p)
    labels = np.asarray(labels)
    # dissolve tiny clusters
    for _ in range(n):
        labs, cnt = np.unique(labels, return_counts=True)
        if len(labs) <= max(1, p["min_spk"]):
            break
        small = labs[cnt * win_dur < p["min_cluster_s"]]
        if len(small) == 0:
            break
        big = labs[cnt * win_dur >= p["min_cluster_s"]]
        if len(big) == 0:
            break
        Cb = _norm(np.stack([E[labels == l].mean(0) for l in big]))
        m = np.isin(labels, small)
        labels[m] = big[np.argmax(E[m] @ Cb.T, axis=1)]
    # merge close centroids
    while True:
        labs, C = _centroids(E, labels)
        if len(labs) <= max(1, p["min_spk"]):
            break
        S = C @ C.T
        np.fill_diagonal(S, -1)
        i, j = np.unravel_index(np.argmax(S), S.shape)
        if S[i, j] <= p["merge_thr"] and len(labs) <= p["max_spk"]:
            break
        # (merge_thr > 1 disables merging)
        labels[labels == labs[j]] = labs[i]
    # refine
    for _ in range(p["refine_iters"]):
        labs, C = _centroids(E, labels)
        new = labs[np.argmax(E @ C.T, axis=1)]
        if np.array_equal(new, labels):
            break
        labels = new
    _, labels = np.unique(labels, return_inverse=True)
    return labels


# ------------------------------------------------------------------ main entry points
def window_starts(n, win, hop):
    if n <= win:
        return np.array([0]), n
    st = list(range(0, n - win + 1, hop))
    if st[-1] + win < n:
        st.append(n - win)
    return np.array(st), win


def embed_stream(wav, enc, p, timings=None):
    t0 = time.perf_counter()
    wav = normalize_volume(wav)
    mel = mel_spectrogram(wav)
    t1 = time.perf_counter()
    sp = energy_vad(frame_energy_db(wav), p)
    idx = np.where(sp)[0]
    t2 = time.perf_counter()
    if len(idx) == 0:
        return mel, sp, idx, None, None, 0
    S = mel[idx]
    span = p["win"] * p["frame_stride"]
    starts, w_eff = window_starts(len(S), span, p["hop"])
    E = enc.forward_frames(S, starts, n_frames=max(1, w_eff // p["frame_stride"]), frame_stride=p["frame_stride"])
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(mel=t1 - t0, vad=t2 - t1, encoder=t3 - t2)
    return mel, sp, idx, starts, E, w_eff


def region_windows(sp, p):
    """place='regions': windows placed inside each VAD speech region (original time axis).
    Region of L frames, l = min(win, L):
      hop >= win (sparse): n = max(1, round(L / hop)) windows, centres at (k + 0.5) * L / n;
      hop <  win (dense) : n = 1 + ceil((L - l) / hop) windows, evenly spaced from start to end.
    Regions shorter than reg_min get no window of their own."""
    win, hop = p["win"] * p["frame_stride"], p["hop"]   # win = LSTM steps; span in frames = win*stride
    if p["min_windows"] > 0:  # short recordings: densify so that clustering sees >= min_windows windows
        hop = max(1, min(hop, int(sp.sum() / p["min_windows"])))
    st, ln, reg = [], [], []
    for r, (s, e) in enumerate(_runs(sp)):
        L = e - s
        if L < p["reg_min"] / FRAME:
            continue
        l = min(win, L)
        if hop >= win:
            n = max(1, int(round(L / hop)))
            c = s + (np.arange(n) + 0.5) * L / n
            ss = np.clip(np.round(c - l / 2).astype(int), s, e - l)
        else:
            n = 1 + int(np.ceil(max(0, L - l) / hop))
            ss = np.round(np.linspace(s, e - l, n)).astype(int)
        st += list(ss); ln += [l] * len(ss); reg += [r] * len(ss)
    return np.array(st, int), np.array(ln, int), np.array(reg, int)


def embed_regions(wav, enc, p, timings=None):
    t0 = time.perf_counter()
    wav = normalize_volume(wav)
    sp = energy_vad(frame_energy_db(wav), p)
    t1 = time.perf_counter()
    st, ln, reg = region_windows(sp, p)
    if len(st) == 0:
        return None, sp, None, None, None, None
    # mel only for the frames that windows read
    need = np.zeros(len(sp), bool)
    for s0, l0 in zip(st, ln):
        need[s0:s0 + l0:p["frame_stride"]] = True
    mel = mel_spectrogram(wav, frames=np.flatnonzero(need))
    t2 = time.perf_counter()
    E = enc.forward_var(mel, st, ln // p["frame_stride"], p["frame_stride"])
    t3 = time.perf_counter()
    if timings is not None:
        timings.update(vad=t1 - t0, mel=t2 - t1, encoder=t3 - t2)
    return mel, sp, st, ln, reg, E


def segment_regions(sp, st, ln, reg, E, p, timings=None):
    """Cluster, then label each speech frame from the windows of ITS OWN region only (linear
    interpolation of window-to-centroid similarities between window centres; constant outside);
    regions without windows use all windows (interpolation over time).  Short label runs are
    absorbed as in segment()."""
    t0 = time.perf_counter()
    labels = cluster(E, p, float(sp.sum()) * FRAME / len(E))  # speech time represented by one window
    labs, C = _centroids(E, labels)
    sims = E @ C.T
    centers = st + ln / 2.0
    runs = _runs(sp)
    frame_lab = np.full(len(sp), -1)
    min_run = int(round(p["min_run"] / FRAME))
    for r, (s, e) in enumerate(runs):
        pos = np.arange(s, e) + 0.5
        m = reg == r
        if not np.any(m):
            m = np.ones(len(reg), bool)
        o = np.argsort(centers[m])
        cc, ss = centers[m][o], sims[m][o]
        fs = np.stack([np.interp(pos, cc, ss[:, j]) for j in range(len(labs))], 1)
        lab = np.argmax(fs, axis=1)
        while True:  # absorb short runs inside the region
            b = np.flatnonzero(np.diff(lab)) + 1
            rs = np.concatenate([[0], b]); re = np.concatenate([b, [len(lab)]])
            if len(rs) <= 1:
                break
            lens = re - rs
            i = int(np.argmin(lens))
            if lens[i] >= min_run:
                break
            if i == 0:
                lab[rs[i]:re[i]] = lab[re[i]]
            elif i == len(rs) - 1:
                lab[rs[i]:re[i]] = lab[rs[i] - 1]
            else:
                a, c2 = lab[rs[i] - 1], lab[re[i]]
                seg = fs[rs[i]:re[i]]
                lab[rs[i]:re[i]] = a if seg[:, a].sum() >= seg[:, c2].sum() else c2
        frame_lab[s:e] = lab
    segs = _frames_to_segments(frame_lab)
    if timings is not None:
        timings["cluster+reseg"] = time.perf_counter() - t0
    return segs, labels, C


def _frames_to_segments(frame_lab):
    segs, t, n = [], 0, len(frame_lab)
    while t < n:
        if frame_lab[t] < 0:
            t += 1
            continue
        u = t
        while u < n and frame_lab[u] == frame_lab[t]:
            u += 1
        segs.append((t * FRAME, u * FRAME, "spk%d" % frame_lab[t]))
        t = u
    return segs


def segment(sp, idx, starts, w_eff, E, p, timings=None):
    t0 = time.perf_counter()
    labels = cluster(E, p, p["hop"] * FRAME)  # stream time represented by one window
    labs, C = _centroids(E, labels)
    sims = E @ C.T                                     # (n_windows, k)
    centers = starts + w_eff / 2.0
    pos = np.arange(len(idx)) + 0.5
    fs = np.stack([np.interp(pos, centers, sims[:, j]) for j in range(len(labs))], 1)
    lab = np.argmax(fs, axis=1)
    # absorb short runs (in speech-stream frames), shortest first
    min_run = int(round(p["min_run"] / FRAME))
    while True:
        b = np.flatnonzero(np.diff(lab)) + 1
        rs = np.concatenate([[0], b]); re = np.concatenate([b, [len(lab)]])
        if len(rs) <= 1:
            break
        lens = re - rs
        i = int(np.argmin(lens))
        if lens[i] >= min_run:
            break
        if i == 0:
            lab[rs[i]:re[i]] = lab[re[i]]
        elif i == len(rs) - 1:
            lab[rs[i]:re[i]] = lab[rs[i] - 1]
        else:  # give to the neighbour that scores better on this run
            a, c = lab[rs[i] - 1], lab[re[i]]
            seg = fs[rs[i]:re[i]]
            lab[rs[i]:re[i]] = a if seg[:, a].sum() >= seg[:, c].sum() else c
    frame_lab = np.full(len(sp), -1)
    frame_lab[idx] = lab
    segs = _frames_to_segments(frame_lab)
    if timings is not None:
        timings["cluster+reseg"] = time.perf_counter() - t0
    return segs, labels, C


def diarize(wav, enc=None, **kw):
    p = dict(DEFAULTS, **kw)
    enc = enc or Encoder()
    tm = {}
    if p["place"] == "regions":
        mel, sp, st, ln, reg, E = embed_regions(wav, enc, p, tm)
        if E is None:
            return [], {"n_speakers": 0, "n_windows": 0, "speech_s": 0, "timings": tm}
        segs, labels, C = segment_regions(sp, st, ln, reg, E, p, tm)
        return segs, {"n_speakers": len(C), "n_windows": len(E), "speech_s": float(sp.sum()) * FRAME,
                      "window_frames": int(ln.sum()), "timings": tm, "centroids": C, "window_labels": labels}
    mel, sp, idx, starts, E, w_eff = embed_stream(wav, enc, p, tm)
    if E is None:
        return [], {"n_speakers": 0, "n_windows": 0, "speech_s": 0, "timings": tm}
    segs, labels, C = segment(sp, idx, starts, w_eff, E, p, tm)
    return segs, {"n_speakers": len(C), "n_windows": len(E), "speech_s": len(idx) * FRAME,
                  "window_frames": int(len(E) * w_eff), "timings": tm, "centroids": C, "window_labels": labels}


if __name__ == "__main__":
    import argparse
    from der import der, read_rttm, write_rttm
    ap = argparse.ArgumentParser()
    ap.add_argument("audio")
    ap.add_argument("--ref")
    ap.add_argument("--out")
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k, type=type(v), default=v)
    a = ap.parse_args()
    params = {k: getattr(a, k) for k in DEFAULTS}
    wav = load_audio(a.audio)
    t = time.perf_counter()
    segs, info = diarize(wav, **params)
    el = time.perf_counter() - t
    dur = len(wav) / SR
    print("audio %.1fs, %d speakers, %d windows, %.3fs (%.0fx real time) %s" % (
        dur, info["n_speakers"], info["n_windows"], el, dur / el, {k: round(v, 3) for k, v in info["timings"].items()}))
    if a.out:
        write_rttm(a.out, segs, a.audio.split("/")[-1].split(".")[0])
    if a.ref:
        ref = read_rttm(a.ref)
        for c in (0.25, 0.0):
            r = der(ref, segs, c)
            print("collar %.2f DER %.2f%% miss %.2fs fa %.2fs conf %.2fs ref_spk %d hyp_spk %d" % (
                c, 100 * r["DER"], r["miss"], r["fa"], r["conf"], r["n_ref"], r["n_hyp"]))
