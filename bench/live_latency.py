#!/usr/bin/env python3
"""Live transcription latency: how soon after someone stops speaking does the final text arrive?

Streams the five LibriVox readings (joined, 1 s of silence between, 2 s of silence after the
last, no end-of-stream message until then) over `GET /api/v1/live` at real-time speed, from 1, 2,
3, 4 and 6 concurrent clients, with tiny.en on this CPU. For each utterance (a reading), it
measures, on the client's clock:

  final latency     from sending the reading's last sample to receiving its final segment;
  first partial     from sending the reading's first sample to receiving its first partial.

Baseline, measured in the same run: faster-whisper itself (same model, beam 1, 2 threads, in
this process) transcribing the same reading from memory; the ratio says how much of the latency
is the recognizer's own work. The WER of the finals is compared with the raw engine's on the same
audio. A session count is sustained when every final arrives and final p95 stays under 2 s.

Results go to stdout and into a section of docs/benchmarks.md. A benchmark, not a test.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave

from websockets.sync.client import connect

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
from librivox import CLIPS, clip_path, free_port, references, word_error_rate  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(REPO, "docs", "benchmarks.md")
SECTION_START = "<!-- bench:live-latency:start -->"
SECTION_END = "<!-- bench:live-latency:end -->"
RATE = 16000
FRAME = 1600  # 100 ms


def log(message):
    print(message, file=sys.stderr, flush=True)


def readings():
    """[(samples as bytes s16le, reference text)] for each clip."""
    texts = references()
    result = []
    for clip in CLIPS:
        with wave.open(clip_path(clip), "rb") as part:
            result.append((part.readframes(part.getnframes()), texts[clip]))
    return result


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def session(url, parts, results, index):
    """One client: streams the readings in real time and records when things arrive."""
    silence = b"\0\0" * RATE
    timeline = b""
    spans = []  # (first sample, last sample) of each reading, in samples
    for number, (audio, _) in enumerate(parts):
        if number:
            timeline += silence
        start = len(timeline) // 2
        timeline += audio
        spans.append((start, len(timeline) // 2))
    timeline += silence * 2
    sent_at = {}
    received = []
    with connect(url, max_size=1 << 22, open_timeout=30) as socket_:
        socket_.send(json.dumps({"type": "hello", "model": "tiny.en", "language": "en", "format": "s16le", "sample_rate": RATE,
                                 "session_id": f"bench-{index}-{time.time_ns()}"}))
        done = threading.Event()

        def receive():
            for message in socket_:
                received.append((time.monotonic(), json.loads(message)))
            done.set()

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        start = time.monotonic()
        for frame_index, offset in enumerate(range(0, len(timeline), FRAME * 2)):
            socket_.send(timeline[offset:offset + FRAME * 2])
            sent_at[frame_index] = time.monotonic()
            delay = start + 0.1 * (frame_index + 1) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        socket_.send(json.dumps({"type": "end"}))
        done.wait(120)
    results[index] = (spans, sent_at, received)


def sample_sent(sent_at, sample):
    return sent_at.get(sample // FRAME, max(sent_at.values()))


def analyse(spans, sent_at, received):
    finals = [(t, m) for t, m in received if m.get("type") == "final" and m.get("segments")]
    partials = [(t, m) for t, m in received if m.get("type") == "partial" and m.get("segments")]
    latencies, first_partials, texts = [], [], []

    def reading_of(message):
        """The reading a message's speech overlaps most (utterances carry pre- and post-roll, so
        their times can reach into the pauses around them)."""
        start, end = message["segments"][0]["start"], message["segments"][-1]["end"]
        overlaps = [min(end, last / RATE) - max(start, first / RATE) for first, last in spans]
        best = max(range(len(spans)), key=lambda number: overlaps[number])
        return best if overlaps[best] > 0 else None

    for number, (first, last) in enumerate(spans):
        candidates = [(t, m) for t, m in finals if reading_of(m) == number]
        if not candidates:
            continue
        latencies.append(max(t for t, _ in candidates) - sample_sent(sent_at, last))
        texts.append(" ".join(m.get("text", "") for _, m in candidates))
        early = [t for t, m in partials if reading_of(m) == number]
        if early:
            first_partials.append(min(early) - sample_sent(sent_at, first))
    return latencies, first_partials, " ".join(texts), len(finals)


def raw_engine(parts):
    """faster-whisper in this process on each reading: seconds per reading, and the joined text."""
    from faster_whisper import WhisperModel
    sys.path.insert(0, os.path.join(REPO, "Sources", "EarshotEngine", "Python"))
    from faster_whisper_worker import tiny_en_path
    import numpy as np
    model = WhisperModel(tiny_en_path(), device="cpu", compute_type="int8", cpu_threads=2)
    timings, texts = [], []
    for audio, _ in parts:
        samples = np.frombuffer(audio, dtype=np.int16).astype(np.float32) / 32768
        started = time.monotonic()
        segments, _ = model.transcribe(samples, language="en", beam_size=1)
        texts.append(" ".join(segment.text.strip() for segment in segments))
        timings.append(time.monotonic() - started)
    return timings, " ".join(texts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earshot", default=os.path.join(REPO, ".build", "release", "earshot"))
    parser.add_argument("--sessions", default="1,2,3,4,6", help="client counts to try")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--engine", default="faster-whisper", help="the server's live engine: faster-whisper or whisper.cpp")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per session count, pooled (5 readings a run is few samples for a p50 on a noisy machine)")
    arguments = parser.parse_args()
    parts = readings()
    reference = " ".join(text for _, text in parts)

    log("baseline: faster-whisper in-process on each reading")
    raw_times, raw_text = raw_engine(parts)
    raw_wer = word_error_rate(reference, raw_text)
    log(f"raw engine text: {raw_text}")

    work = tempfile.mkdtemp(prefix="earshot-live-bench-")
    config = os.path.join(work, "earshot.yaml")
    with open(config, "w") as handle:
        handle.write("live_reprocess_model: ''\nlive_max_sessions: 16\n")
    port = free_port()
    server = subprocess.Popen(
        [arguments.earshot, "serve", "--port", str(port), "--data-dir", os.path.join(work, "data"), "--workers", "0", "--config", config,
         "--engine", arguments.engine],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "server.log"), "w"),
    )
    rows = []
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        url = f"ws://127.0.0.1:{port}/api/v1/live"
        # One short session first, so the engine's start is not counted as latency.
        warm = {}
        session(url, parts[1:2], warm, 0)
        for count in [int(n) for n in arguments.sessions.split(",")]:
            log(f"{count} concurrent session(s), {sum(len(a) for a, _ in parts) / 2 / RATE + 6:.0f} s each, {arguments.repeat} run(s)")
            runs = []
            for _ in range(arguments.repeat):
                results = {}
                threads = [threading.Thread(target=session, args=(url, parts, results, i)) for i in range(count)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                runs += results.values()
            latencies, partials, wers, missing = [], [], [], 0
            for spans, sent_at, received in runs:
                lat, first, text, _ = analyse(spans, sent_at, received)
                latencies += lat
                partials += first
                missing += len(spans) - len(lat)
                wers.append(word_error_rate(reference, text))
                log(f"finals' text: {text}")
            row = {
                "sessions": count, "p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                "partial_p50": percentile(partials, 0.5), "wer": statistics.mean(wers), "missing": missing,
                "ratio": percentile(latencies, 0.5) / statistics.median(raw_times),
            }
            row["sustained"] = missing == 0 and row["p95"] < 2.0
            rows.append(row)
            log(json.dumps(row))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        shutil.rmtree(work, ignore_errors=True)
    report(rows, raw_times, raw_wer, arguments.no_docs, arguments.repeat)


def report(rows, raw_times, raw_wer, no_docs, repeat):
    lines = [
        SECTION_START,
        "## Live transcription: end of speech → final segment",
        "",
        f"Measured {datetime.date.today().isoformat()} on this machine ({os.cpu_count()} cores), tiny.en, `make bench-live`"
        " (`bench/live_latency.py`). Five LibriVox readings (25 s of speech, 1 s pauses, 2 s of silence after the last and"
        " no end-of-stream message until then) streamed at real-time speed over `/api/v1/live` by each client,"
        f" {repeat} runs per row, pooled. Baseline in the"
        f" same run: faster-whisper in-process on each reading, median {statistics.median(raw_times) * 1000:.0f} ms"
        f" (WER {raw_wer:.1%}). First partial: from sending a reading's first sample (the clips open with 0.24–0.32 s of"
        " silence) to the first partial with words.",
        "",
        "| Sessions | Final p50 (ms) | Final p95 (ms) | p50 / raw engine | First partial p50 (ms) | WER of finals | Finals missing | Sustained |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['sessions']} | {row['p50'] * 1000:.0f} | {row['p95'] * 1000:.0f} | {row['ratio']:.1f}× | {row['partial_p50'] * 1000:.0f} |"
            f" {row['wer']:.1%} | {row['missing']} | {'yes' if row['sustained'] else 'no'} |"
        )
    lines += [
        "",
        "Targets (issue 6): final p50 < 1.0 s with 1 client and < 1.5 s with 3; first partial < 0.8 s; WER of finals within"
        " 1 point of the raw engine. Anchor: WhisperLive 0.10.0, same model and machine, 4.2–4.8 s (1 client) and 8.6 s"
        " (3 clients), first partial 1.1–1.3 s, and no final at all when only 2 s of silence followed.",
        "",
        "- Finals come after a 0.5 s pause (the VAD's hangover) plus one recognition of the utterance on the live engine;"
        " ends of streams need no silence at all (`end` flushes).",
        "- **Fitted windows.** Whisper's encoder is built for 30-second windows and faster-whisper pads every window to that,"
        " so a 1-second utterance cost as much to encode as 30 seconds (~0.45–0.65 s here). The live engine encodes only the"
        " utterance plus 0.5 s of silence (CTranslate2 accepts any length): 50–300 ms per recognition. Short windows can set"
        " the decoder looping (\"he was not he was not…\"); a loop (a phrase twice in a row, or the token cap reached) sends"
        " a final back through the standard 30-second window, and cuts a partial where the loop began.",
        "- The first partial is due 0.4 s after speech is detected, and 0.2 s after any partial that came back empty;"
        " later partials once a second. Finals are prompted with the end of the session's earlier finals (as a whole-file"
        " run carries its previous text), which is where the finals' WER gains on the raw engine come from: names and"
        " spellings stay consistent across utterances. Partials are not prompted: a prompt on a second of audio is what"
        " sets Whisper looping.",
        "- One live engine serves every session, finals first, one recognition at a time; each session has at most one"
        " partial waiting (a newer one replaces it; under load partials are shed, finals never), and a partial waits"
        " while the speaker pauses (the pause may be the utterance's end).",
        SECTION_END,
    ]
    text = "\n".join(lines)
    print(text)
    if no_docs:
        return
    with open(DOCS, encoding="utf-8") as handle:
        docs = handle.read()
    if SECTION_START in docs:
        docs = docs[:docs.index(SECTION_START)] + text + docs[docs.index(SECTION_END) + len(SECTION_END):]
    else:
        docs = docs.rstrip() + "\n\n" + text + "\n"
    with open(DOCS, "w", encoding="utf-8") as handle:
        handle.write(docs)


if __name__ == "__main__":
    main()
