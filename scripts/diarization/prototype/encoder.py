#!/usr/bin/env python3
"""Numpy-only Resemblyzer voice encoder (no torch, no librosa).

Pipeline (matches resemblyzer 0.1.4 audio.wav_to_mel_spectrogram + VoiceEncoder.forward):
  16 kHz float32 audio
  -> (optional) volume normalisation to -30 dBFS, increase only (resemblyzer.preprocess_wav)
  -> power mel spectrogram: n_fft = win = 400 (25 ms), hop = 160 (10 ms), periodic Hann,
     center=True (pad 200 samples each side; zeros as in librosa >= 0.10, 'reflect' in librosa < 0.10),
     |rfft|^2 (power 2.0), 40 Slaney-scale mel filters, Slaney area norm, fmin 0, fmax 8000.
     NOT log-compressed.
  -> 3-layer LSTM (hidden 256), zero initial state, over 160-frame partials (or any length)
  -> last hidden state of layer 3 -> Linear(256,256) -> ReLU -> L2 normalise.
"""
import json
import os

import numpy as np

SR = 16000
N_FFT = 400
HOP = 160
N_MELS = 40
PARTIAL_FRAMES = 160
HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- mel front end
def hz_to_mel_slaney(f):
    f = np.asanyarray(f, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp  # 15
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz_slaney(m):
    m = np.asanyarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr=SR, n_fft=N_FFT, n_mels=N_MELS, fmin=0.0, fmax=None):
    """librosa.filters.mel(sr, n_fft, n_mels, htk=False, norm='slaney') re-implemented. Shape (n_mels, 1+n_fft//2)."""
    fmax = sr / 2.0 if fmax is None else fmax
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    mel_f = mel_to_hz_slaney(np.linspace(hz_to_mel_slaney(fmin), hz_to_mel_slaney(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels])
    weights *= enorm[:, None]
    return weights.astype(np.float32)  # librosa returns float32


_MEL_FB = mel_filterbank()
# periodic Hann (scipy.signal.get_window('hann', 400, fftbins=True))
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT))
_WINDOW32 = _WINDOW.astype(np.float32)


def mel_spectrogram(wav, pad_mode="constant", frames=None):
    """Power mel spectrogram, (n_frames, 40) float32, n_frames = 1 + len(wav)//160.
    Frame t covers padded samples [160 t, 160 t + 400) (centre = sample 160 t of the original signal).
    frames: optional sorted index array; only those rows are computed (others are left at 0)."""
    wav = np.asarray(wav, dtype=np.float32)
    pad = N_FFT // 2
    y = np.pad(wav, (pad, pad)) if pad_mode == "constant" else np.pad(wav, (pad, pad), mode="reflect")
    n_frames = 1 + (len(y) - N_FFT) // HOP
    view = np.lib.stride_tricks.as_strided(y, (n_frames, N_FFT), (HOP * y.itemsize, y.itemsize), writeable=False)
    out = np.zeros((n_frames, N_MELS), np.float32)
    rows = np.arange(n_frames) if frames is None else np.asarray(frames)
    for a in range(0, len(rows), 8192):  # chunked to bound memory
        r = rows[a:a + 8192]
        spec = np.fft.rfft(view[r] * _WINDOW32, n=N_FFT, axis=1)     # float32 FFT (numpy >= 2)
        power = spec.real ** 2 + spec.imag ** 2                         # (n, 201)
        out[r] = power @ _MEL_FB.T
    return out


def frame_energy_db(wav):
    """Energy of the same 400-sample centred frames (rectangular window, zero padded) in dB.
    400 = 5 x 80 and hop 160 = 2 x 80, so: block energies b[j] = sum of x^2 over samples [80 j, 80 j + 80)
    of the padded signal, frame t energy = b[2t] + ... + b[2t+4].  Used by the VAD so that the mel
    spectrogram is only needed for frames inside embedding windows."""
    wav = np.asarray(wav, dtype=np.float32)
    pad = N_FFT // 2
    n_frames = 1 + len(wav) // HOP
    nb = 2 * n_frames + 3
    y = np.zeros(nb * 80, np.float32)
    y[pad:pad + len(wav)] = wav
    b = np.einsum("ij,ij->i", y.reshape(nb, 80), y.reshape(nb, 80)).astype(np.float64)
    e = b[0:2 * n_frames:2] + b[1:2 * n_frames:2] + b[2:2 * n_frames + 1:2] + b[3:2 * n_frames + 2:2] + b[4:2 * n_frames + 3:2]
    return 10 * np.log10(e + 1e-10)


def normalize_volume(wav, target_dbfs=-30.0, increase_only=True):
    rms = np.sqrt(np.mean((wav.astype(np.float64) * 32767) ** 2))
    if rms <= 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / 32767)
    if change < 0 and increase_only:
        return wav
    return (wav * (10 ** (change / 20))).astype(np.float32)


# ---------------------------------------------------------------- network
def load_weights(prefix=os.path.join(HERE, "resemblyzer-encoder")):
    with open(prefix + ".json") as fh:
        hdr = json.load(fh)
    blob = np.fromfile(prefix + ".bin", dtype="<f4")
    w = {}
    for t in hdr["tensors"]:
        o = t["offset"] // 4
        w[t["name"]] = blob[o:o + t["count"]].reshape(t["shape"])
    return w


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # == 1/(1+exp(-x)), overflow-free


class Encoder:
    def __init__(self, prefix=os.path.join(HERE, "resemblyzer-encoder"), dtype=np.float32):
        w = load_weights(prefix)
        self.dtype = dtype
        self.H = 256
        # layer 0: input projection kept separate so it can be computed once per *frame* (shared by
        # overlapping windows); recurrent part W_hh.  layers 1,2: stacked [W_ih | W_hh]^T -> (512, 1024)
        self.Wih0T = w["lstm.weight_ih_l0"].T.astype(dtype).copy()          # (40, 1024)
        self.Whh0T = w["lstm.weight_hh_l0"].T.astype(dtype).copy()          # (256, 1024)
        self.b0 = (w["lstm.bias_ih_l0"] + w["lstm.bias_hh_l0"]).astype(dtype)
        self.WcatT = []
        self.bcat = []
        for l in (1, 2):
            Wc = np.concatenate([w["lstm.weight_ih_l%d" % l], w["lstm.weight_hh_l%d" % l]], axis=1)  # (1024, 512)
            self.WcatT.append(Wc.T.astype(dtype).copy())                     # (512, 1024)
            self.bcat.append((w["lstm.bias_ih_l%d" % l] + w["lstm.bias_hh_l%d" % l]).astype(dtype))
        self.linWT = w["linear.weight"].T.astype(dtype).copy()               # (256, 256)
        self.linb = w["linear.bias"].astype(dtype)
        self.w = w
        # pre-scaled copies for the fast path: i, f, o gate columns * 0.5 (sigmoid via tanh)
        sc = np.ones(4 * self.H, dtype)
        sc[0:2 * self.H] = 0.5
        sc[3 * self.H:] = 0.5
        self.sWih0T = self.Wih0T * sc
        self.sWhh0T = self.Whh0T * sc
        self.sb0 = self.b0 * sc
        self.sWcatT = [W * sc for W in self.WcatT]
        self.sbcat = [b * sc for b in self.bcat]

    @staticmethod
    def _cell(gates, c, H=256):
        # PyTorch gate order i, f, g, o
        i = _sigmoid(gates[:, 0:H])
        f = _sigmoid(gates[:, H:2 * H])
        g = np.tanh(gates[:, 2 * H:3 * H])
        o = _sigmoid(gates[:, 3 * H:4 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, c

    def forward_frames(self, mel, starts, n_frames=PARTIAL_FRAMES, frame_stride=1):
        """Batched embeddings of windows mel[s : s + n_frames*frame_stride : frame_stride] for s in starts.
        mel: (T, 40) mel spectrogram (full file or speech-only stream); windows past T are zero padded.
        Returns (B, 256) L2-normalised embeddings.

        Speed formulation (numerically identical to the textbook cell in _cell):
          * layer-0 input projection x_t @ W_ih0^T + b_ih0 + b_hh0 is computed ONCE per frame of `mel`
            (overlapping windows share frames) and gathered per step;
          * layers 1, 2: one GEMM per step, [h_below | h_self] (B x 512) @ [W_ih | W_hh]^T (512 x 1024);
          * the i, f, o columns of every gate pre-activation are pre-scaled by 0.5 so that one tanh over
            all 1024 columns gives sigmoid(x) = 0.5 + 0.5*tanh(x/2) for i, f, o and tanh(x) for g."""
        H = self.H
        starts = np.asarray(starts, dtype=np.int64)
        B = len(starts)
        T = mel.shape[0]
        need = int(starts.max()) + (n_frames - 1) * frame_stride + 1 if B else 0
        if need > T:
            mel = np.concatenate([mel, np.zeros((need - T, mel.shape[1]), mel.dtype)], axis=0)
        xproj = mel.astype(self.dtype) @ self.sWih0T + self.sb0             # (T', 1024), pre-scaled
        h = [np.zeros((B, H), self.dtype) for _ in range(3)]
        c = [np.zeros((B, H), self.dtype) for _ in range(3)]
        cat = [np.zeros((B, 2 * H), self.dtype) for _ in range(2)]
        g = np.empty((B, 4 * H), self.dtype)
        tmp = np.empty((B, H), self.dtype)
        for t in range(n_frames):
            for l in range(3):
                if l == 0:
                    np.matmul(h[0], self.sWhh0T, out=g)
                    g += xproj[starts + t * frame_stride]
                else:
                    buf = cat[l - 1]
                    buf[:, :H] = h[l - 1]
                    buf[:, H:] = h[l]
                    np.matmul(buf, self.sWcatT[l - 1], out=g)
                    g += self.sbcat[l - 1]
                np.tanh(g, out=g)
                gi, gf, gg, go = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                # sigmoid(a) = 0.5*(1 + tanh(a/2));  c = f*c + i*g ;  h = o*tanh(c)
                gi += 1; gi *= 0.5
                gf += 1; gf *= 0.5
                go += 1; go *= 0.5
                cl = c[l]
                cl *= gf
                np.multiply(gi, gg, out=tmp)
                cl += tmp
                np.tanh(cl, out=tmp)
                np.multiply(go, tmp, out=h[l])
        e = np.maximum(h[2] @ self.linWT + self.linb, 0)
        n = np.linalg.norm(e, axis=1, keepdims=True)
        return e / np.maximum(n, 1e-12)

    def forward_var(self, mel, starts, lengths, frame_stride=1):
        """Variable-length windows mel[s : s + l*frame_stride : frame_stride] (l LSTM steps) in one batch.
        Rows are sorted by length (descending) and right-aligned in time: with Lmax = max length,
        window k is fed from step Lmax - l_k on, so at every step the active rows are a prefix
        h[:n_active] and each GEMM only covers those rows.  Returns embeddings in the input order."""
        H = self.H
        starts = np.asarray(starts, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        order = np.argsort(-lengths, kind="stable")
        st, ln = starts[order], lengths[order]
        B, Lmax = len(st), int(ln[0])
        # layer-0 input projection: once per frame when windows overlap a lot, else per step on the
        # frames actually used (sparse windows touch only a fraction of the file)
        shared = int(ln.sum()) > mel.shape[0]
        if shared:
            xproj = mel.astype(self.dtype) @ self.sWih0T + self.sb0
        h = [np.zeros((B, H), self.dtype) for _ in range(3)]
        c = [np.zeros((B, H), self.dtype) for _ in range(3)]
        cat = [np.zeros((B, 2 * H), self.dtype) for _ in range(2)]
        g_all = np.empty((B, 4 * H), self.dtype)
        tmp_all = np.empty((B, H), self.dtype)
        offs = Lmax - ln                                   # first step of each row (ascending)
        for t in range(Lmax):
            k = int(np.searchsorted(offs, t, side="right"))  # rows with offs <= t
            g, tmp = g_all[:k], tmp_all[:k]
            frames = st[:k] + (t - offs[:k]) * frame_stride
            for l in range(3):
                if l == 0:
                    np.matmul(h[0][:k], self.sWhh0T, out=g)
                    if shared:
                        g += xproj[frames]
                    else:
                        g += mel[frames] @ self.sWih0T
                        g += self.sb0
                else:
                    buf = cat[l - 1][:k]
                    buf[:, :H] = h[l - 1][:k]
                    buf[:, H:] = h[l][:k]
                    np.matmul(buf, self.sWcatT[l - 1], out=g)
                    g += self.sbcat[l - 1]
                np.tanh(g, out=g)
                gi, gf, gg, go = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
                gi += 1; gi *= 0.5
                gf += 1; gf *= 0.5
                go += 1; go *= 0.5
                cl = c[l][:k]
                cl *= gf
                np.multiply(gi, gg, out=tmp)
                cl += tmp
                np.tanh(cl, out=tmp)
                np.multiply(go, tmp, out=h[l][:k])
        e = np.maximum(h[2] @ self.linWT + self.linb, 0)
        e = e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)
        out = np.empty_like(e)
        out[order] = e
        return out

    def forward_reference(self, mels):
        """Textbook (unoptimised) LSTM, one window at a time: mels (B, T, 40). For checking."""
        out = []
        for m in mels:
            x = m.astype(np.float64)
            for l in range(3):
                Wih = self.w["lstm.weight_ih_l%d" % l].astype(np.float64)
                Whh = self.w["lstm.weight_hh_l%d" % l].astype(np.float64)
                b = (self.w["lstm.bias_ih_l%d" % l] + self.w["lstm.bias_hh_l%d" % l]).astype(np.float64)
                hh = np.zeros((1, 256)); cc = np.zeros((1, 256)); ys = []
                for t in range(len(x)):
                    gates = x[t:t + 1] @ Wih.T + hh @ Whh.T + b
                    hh, cc = self._cell(gates, cc)
                    ys.append(hh[0])
                x = np.array(ys)
            e = np.maximum(x[-1] @ self.w["linear.weight"].T.astype(np.float64) + self.w["linear.bias"], 0)
            out.append(e / np.linalg.norm(e))
        return np.array(out)

    # --- resemblyzer-compatible helpers (used for verification)
    @staticmethod
    def compute_partial_slices(n_samples, rate=1.3, min_coverage=0.75):
        samples_per_frame = HOP
        n_frames = int(np.ceil((n_samples + 1) / samples_per_frame))
        frame_step = int(np.round((SR / rate) / samples_per_frame))
        steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
        starts = list(range(0, steps, frame_step))
        last_start = starts[-1] * HOP
        coverage = (n_samples - last_start) / (PARTIAL_FRAMES * HOP)
        if coverage < min_coverage and len(starts) > 1:
            starts = starts[:-1]
        return starts

    def embed_utterance(self, wav, rate=1.3, min_coverage=0.75, return_partials=False, pad_mode="constant"):
        starts = self.compute_partial_slices(len(wav), rate, min_coverage)
        max_len = (starts[-1] + PARTIAL_FRAMES) * HOP
        if max_len >= len(wav):
            wav = np.pad(wav, (0, max_len - len(wav)))
        mel = mel_spectrogram(wav, pad_mode)
        partials = self.forward_frames(mel, starts)
        raw = partials.mean(0)
        emb = raw / np.linalg.norm(raw)
        return (emb, partials) if return_partials else emb


def load_audio(path, sr=SR):
    """Decode any file with ffmpeg to 16 kHz mono float32."""
    import subprocess
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"]
    if path.endswith(".raw"):
        args += ["-f", "s16le", "-ar", "16000", "-ac", "1"]
    elif path.endswith(".g722"):
        args += ["-f", "g722"]
    args += ["-i", path, "-ar", str(sr), "-ac", "1", "-f", "f32le", "-"]
    out = subprocess.run(args, check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()
