#!/usr/bin/env python3
"""Writes Tests/EarshotDiarizationTests/Fixtures/encoder-reference.json from the numpy prototype.

Run with the prototype's environment (numpy only):
  python scripts/diarization/prototype/make_fixtures.py DIR  (DIR: the prototype scripts and its converted weights, convert.py)

Clip: pocketsphinx-testdata librivox/sense_and_sensibility_01_austen_64kb-0870.wav (16 kHz s16 mono),
samples = s16 / 32768, then the -30 dBFS increase-only level normalisation (encoder.normalize_volume).
Stored: mel rows of a few frames, the embedding of the whole clip as one LSTM sequence, and the
embeddings of five windows (four 1.0 s windows and one 0.6 s window) run as one variable-length batch.
"""
import json
import os
import sys
import wave

import numpy as np

proto = sys.argv[1] if len(sys.argv) > 1 else "/work/diar-proto"
sys.path.insert(0, proto)
from encoder import Encoder, mel_spectrogram, normalize_volume  # noqa: E402

CLIP = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"
with wave.open(CLIP) as w:
    assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
wav = normalize_volume(pcm.astype(np.float32) / 32768.0)
mel = mel_spectrogram(wav)
enc = Encoder(os.path.join(proto, "resemblyzer-encoder"))

frames = [0, 1, 2, 37, 200, 351, 500, mel.shape[0] - 1]
whole = enc.forward_var(mel, [0], [mel.shape[0]])[0]
starts, lengths = [0, 150, 300, 455, 600], [100, 100, 100, 60, 100]
wins = enc.forward_var(mel, starts, lengths)

out = {
    "clip": os.path.relpath(CLIP, "/usr/share/pocketsphinx/test/data"),
    "samples": int(len(wav)),
    "melFrameCount": int(mel.shape[0]),
    "melFrames": frames,
    "mel": [[float(v) for v in mel[f]] for f in frames],
    "wholeClipEmbedding": [float(v) for v in whole],
    "windowStarts": starts,
    "windowLengths": lengths,
    "windowEmbeddings": [[float(v) for v in e] for e in wins],
}
dst = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "EarshotDiarizationTests",
                   "Fixtures", "encoder-reference.json")
with open(dst, "w") as fh:
    json.dump(out, fh, indent=0)
print("wrote", os.path.normpath(dst), "frames", mel.shape[0])
