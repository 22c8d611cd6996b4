#!/usr/bin/env python3
"""Which engine is faster here: faster-whisper (CTranslate2, int8, in a Python process) or whisper.cpp
(ggml, float16 weights, in the earshot process)?

Both engines transcribe the same recordings with the same model and settings (beam size 5, language en,
the same CPU thread count) through the same command, `earshot transcribe --engine E`, one fresh process per
run, engines alternating. The recordings are the LibriVox clips of pocketsphinx-testdata concatenated whole
(so the reference text is theirs, repeated): ~5 minutes (12 rounds) and ~30 minutes (73 rounds).

Per run:
  wall        process start to exit: start-up, model load (and, for faster-whisper, Python's start-up) and
              transcription.
  transcribe  the job's own time (audio length / the "x real time" figure earshot prints): what a warm
              server or node spends per file.
  RTF         transcribe / audio length (lower is faster).
  peak RSS    the largest summed VmRSS of the process tree (earshot + the engine's Python worker), sampled
              every 50 ms.
  WER         against the clips' reference transcriptions.

The baseline of every ratio is faster-whisper on the same file and model in the same run.
Results go to stdout and into a section of docs/benchmarks.md (table) and docs/benchmarks-engines.svg (chart).
This is a benchmark, not a test: it takes ~15 minutes of full CPU on 2 cores.
"""

import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from engine_overhead import OUT_DIR, REPO, TreeSampler, log, machine, make_out_dir, media_duration  # noqa: E402

CLIPS_DIR = "/usr/share/pocketsphinx/test/data/librivox"
DOCS = os.path.join(REPO, "docs", "benchmarks.md")
CHART = os.path.join(REPO, "docs", "benchmarks-engines.svg")
SECTION_START = "<!-- bench:engines:start -->"
SECTION_END = "<!-- bench:engines:end -->"
ENGINES = ["faster-whisper", "whisper.cpp"]
BEAM_SIZE = 5


def clips_with_references():
    references = {}
    with open(os.path.join(CLIPS_DIR, "transcription")) as f:
        for line in f:
            match = re.match(r"\s*(.*?)\s*\(([^)]+)\)\s*$", line)
            if match:
                references[match.group(2)] = match.group(1).replace("<s>", "").replace("</s>", "").strip()
    clips = sorted(f for f in os.listdir(CLIPS_DIR) if f.endswith(".wav"))
    return [(os.path.join(CLIPS_DIR, c), references[c[:-4]]) for c in clips]


def build_recording(rounds):
    """The clips concatenated whole, `rounds` times; returns (path, reference text, seconds)."""
    make_out_dir()
    clips = clips_with_references()
    path = os.path.join(OUT_DIR, f"librivox-x{rounds}.wav")
    if not os.path.exists(path):
        listing = os.path.join(OUT_DIR, f"librivox-x{rounds}.txt")
        with open(listing, "w") as f:
            for _ in range(rounds):
                for clip, _ in clips:
                    f.write(f"file '{clip}'\n")
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0",
             "-i", listing, "-c", "copy", path],
            check=True,
        )
        os.unlink(listing)
    reference = " ".join(text for _ in range(rounds) for _, text in clips)
    return path, reference, media_duration(path)


def normalize(text):
    spelled = {"mr": "mister", "mrs": "missus", "dr": "doctor"}
    text = text.lower().replace("-", " ")
    text = "".join(c if c.isalnum() or c == "'" else " " for c in text)
    return [spelled.get(w, w) for w in text.split()]


def word_error_rate(reference, hypothesis):
    ref, hyp = normalize(reference), normalize(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref):
        current = [i + 1] + [0] * len(hyp)
        for j, h in enumerate(hyp):
            current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (r != h))
        previous = current
    return previous[len(hyp)] / max(1, len(ref))


def run_once(binary, engine, model, path, reference, audio_s, threads, data_dir):
    """One `earshot transcribe` process; returns its figures."""
    out_dir = os.path.join(OUT_DIR, "engines-text")
    os.makedirs(out_dir, exist_ok=True)
    text_path = os.path.join(out_dir, os.path.basename(path)[:-4] + ".txt")
    if os.path.exists(text_path):
        os.unlink(text_path)
    command = [
        binary, "transcribe", path, "--engine", engine, "--model", model, "--beam-size", str(BEAM_SIZE),
        "--language", "en", "--threads", str(threads), "--format", "txt", "-o", out_dir, "--data-dir", data_dir,
        "--log-level", "warning",
    ]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO)
    sampler = TreeSampler(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.monotonic() - started
    sampler.stop()
    if process.returncode != 0:
        sys.exit(f"{engine} {model} failed ({process.returncode}):\n{stderr[-2000:]}")
    speeds = re.findall(r"succeeded ([0-9.]+)x real time", stderr)
    if not speeds:
        sys.exit(f"{engine} {model}: no real-time figure in the output:\n{stderr[-2000:]}")
    transcribe = audio_s / float(speeds[-1])
    with open(text_path) as f:
        text = f.read()
    return {
        "wall_s": wall, "transcribe_s": transcribe, "rtf": transcribe / audio_s,
        "peak_rss_mb": sampler.peak_sum_kb / 1024, "wer": word_error_rate(reference, text),
    }


def median_run(runs):
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def chart(rows):
    """A grouped bar chart of the real-time factor (lower is faster), as plain SVG."""
    width, bar_h, gap, left = 640, 18, 10, 190
    groups = [(f"{r['model']}, {r['label']}", r) for r in rows if r["engine"] == ENGINES[0]]
    height = 40 + len(groups) * (2 * bar_h + gap + 8) + 30
    top = max(r["rtf"] for r in rows) * 1.15
    scale = (width - left - 80) / top
    colors = {"faster-whisper": "#4e79a7", "whisper.cpp": "#f28e2b"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="14" font-weight="bold">Real-time factor (transcription time / audio length; lower is faster)</text>',
    ]
    y = 40
    for label, row in groups:
        parts.append(f'<text x="10" y="{y + bar_h + 4}">{label}</text>')
        for engine in ENGINES:
            match = next(r for r in rows if r["engine"] == engine and r["model"] == row["model"] and r["label"] == row["label"])
            w = match["rtf"] * scale
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colors[engine]}"/>')
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4}">{match["rtf"]:.3f}</text>')
            y += bar_h + 2
        y += gap + 6
    for i, engine in enumerate(ENGINES):
        x = left + i * 140
        parts.append(f'<rect x="{x}" y="{y + 4}" width="12" height="12" fill="{colors[engine]}"/>')
        parts.append(f'<text x="{x + 16}" y="{y + 14}">{engine}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def markdown(rows, threads, runs):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        SECTION_START,
        "## Engines: faster-whisper vs whisper.cpp",
        "",
        f"- Date: {now}; machine: {machine()}",
        f"- Same command for both (`earshot transcribe --engine E --model M --beam-size {BEAM_SIZE} --language en "
        f"--threads {threads}`), a fresh process per run, engines alternating; median of {runs} run(s) per cell (the "
        "30-minute file once). faster-whisper: CTranslate2 int8 in its Python worker. whisper.cpp 1.8.5: the same "
        "weights converted to ggml (q8_0 matrices, the engine's default), built for this CPU's instruction sets "
        "(AVX2, AVX-512, VNNI), in process.",
        "- Recordings: the LibriVox clips of `pocketsphinx-testdata` concatenated whole (reference = their "
        "transcriptions repeated). *Transcribe* is the job's own time (what a warm server or node spends per "
        "file); *wall* adds process start-up and model load. RTF = transcribe / audio length (lower is faster). "
        "Peak RSS: largest summed resident memory of the process tree (earshot + Python worker), sampled every 50 ms.",
        "",
        "| Model | Recording | Engine | Wall (s) | Transcribe (s) | RTF | Time vs faster-whisper | Peak RSS (MB) | RSS vs faster-whisper | WER |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        base = next(b for b in rows if b["engine"] == ENGINES[0] and b["model"] == r["model"] and b["label"] == r["label"])
        lines.append(
            f"| {r['model']} | {r['label']} ({r['audio_s'] / 60:.1f} min) | {r['engine']} | {r['wall_s']:.1f} | "
            f"{r['transcribe_s']:.1f} | {r['rtf']:.3f} | {r['transcribe_s'] / base['transcribe_s']:.2f}× | "
            f"{r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] / base['peak_rss_mb']:.2f}× | {r['wer'] * 100:.1f}% |"
        )
    lines += [
        "",
        "![Real-time factor of both engines](benchmarks-engines.svg)",
        "",
        "Reproduce with `make bench-engines` (see `bench/README.md`).",
        SECTION_END,
    ]
    return "\n".join(lines)


def write_section(section):
    text = open(DOCS).read() if os.path.exists(DOCS) else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        text = text[: text.index(SECTION_START)] + section + text[text.index(SECTION_END) + len(SECTION_END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(DOCS, "w") as f:
        f.write(text)
    log(f"updated {os.path.relpath(DOCS, REPO)} and {os.path.relpath(CHART, REPO)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--earshot", default=os.path.join(REPO, ".build/release/earshot"))
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--runs", type=int, default=2, help="runs per engine on the 5-minute file")
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--long-rounds", type=int, default=73, help="rounds of the clips in the long file (0 skips it)")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    recordings = [("5-minute", 12, args.runs)]
    if args.long_rounds > 0:
        recordings.append(("30-minute", args.long_rounds, 1))
    data_dir = os.path.join(OUT_DIR, "engines-data")
    rows = []
    for model in args.models.split(","):
        # Warm-up: assembles/converts the model once, outside the measured runs.
        short, short_ref, short_s = build_recording(1)
        for engine in ENGINES:
            run_once(args.earshot, engine, model, short, short_ref, short_s, args.threads, data_dir)
        for label, rounds, runs in recordings:
            path, reference, audio_s = build_recording(rounds)
            results = {engine: [] for engine in ENGINES}
            for run in range(runs):
                for engine in (ENGINES if run % 2 == 0 else list(reversed(ENGINES))):
                    result = run_once(args.earshot, engine, model, path, reference, audio_s, args.threads, data_dir)
                    log(f"{model} {label} {engine}: wall {result['wall_s']:.1f}s transcribe {result['transcribe_s']:.1f}s "
                        f"RTF {result['rtf']:.3f} RSS {result['peak_rss_mb']:.0f} MB WER {result['wer'] * 100:.1f}%")
                    results[engine].append(result)
            for engine in ENGINES:
                rows.append({"model": model, "label": label, "engine": engine, "audio_s": audio_s, **median_run(results[engine])})
    section = markdown(rows, args.threads, args.runs)
    print(section)
    if not args.no_docs:
        with open(CHART, "w") as f:
            f.write(chart(rows))
        write_section(section)


if __name__ == "__main__":
    main()
