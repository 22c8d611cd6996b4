#!/usr/bin/env python3
"""Earshot's OpenAI-compatible API driven by the official `openai` package, unchanged.

Starts `earshot serve` on a free loopback port with the real engine and asks for a LibriVox
reading in every response format: json (WER against the reference), text, srt, vtt, verbose_json
with word timestamps, and stream=True (deltas, then the whole text); lists the models; and checks
that a bad request comes back as the client's own error with the server's reason. Exits non-zero
on the first failed check.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

import openai

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "scripts"))
from earshot_server import EarshotServer  # noqa: E402
from librivox import clip_path, references, word_error_rate  # noqa: E402

CLIP = "0920"


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(client):
    reference = references()[CLIP]
    audio = clip_path(CLIP)

    def create(**options):
        with open(audio, "rb") as file:
            return client.audio.transcriptions.create(file=file, **options)

    as_json = create(model="tiny.en", response_format="json")
    wer = word_error_rate(reference, as_json.text)
    check(wer <= 0.10, f"json: WER {wer:.1%}: {as_json.text!r}")

    as_text = create(model="whisper-1", response_format="text", language="en")
    check(isinstance(as_text, str) and word_error_rate(reference, as_text) <= 0.10, f"text: {as_text!r}")

    srt = create(model="tiny.en", response_format="srt")
    check(re.search(r"^1\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", srt, re.M), f"srt: {srt[:200]!r}")
    vtt = create(model="tiny.en", response_format="vtt")
    check(vtt.startswith("WEBVTT") and " --> " in vtt, f"vtt: {vtt[:200]!r}")

    verbose = create(model="tiny.en", response_format="verbose_json", timestamp_granularities=["word", "segment"],
                     prompt="Sense and Sensibility, by Jane Austen.")
    check(verbose.language == "english" and 4 < verbose.duration < 10, f"verbose_json: {verbose.language} {verbose.duration}")
    check(verbose.segments and verbose.segments[0].end > verbose.segments[0].start, f"verbose_json segments: {verbose.segments}")
    check(verbose.words and len(verbose.words) >= len(reference.split()) - 3, f"verbose_json words: {verbose.words}")
    check(all(a.start <= b.start for a, b in zip(verbose.words, verbose.words[1:])), "words in time order")

    deltas, done = [], None
    with open(audio, "rb") as file:
        for event in client.audio.transcriptions.create(file=file, model="tiny.en", stream=True):
            if event.type == "transcript.text.delta":
                deltas.append(event.delta)
            elif event.type == "transcript.text.done":
                done = event.text
    check(deltas and done and word_error_rate(reference, done) <= 0.10, f"stream: {len(deltas)} deltas, done {done!r}")
    check(word_error_rate(reference, " ".join(deltas)) <= 0.10, f"stream deltas: {deltas}")

    models = [model.id for model in client.models.list()]
    check("tiny.en" in models and "whisper-1" in models, f"models: {models}")

    try:
        create(model="no-such-model")
        raise AssertionError("an unknown model was accepted")
    except openai.BadRequestError as error:
        check("no-such-model" in str(error), f"the server's reason reaches the client: {error}")
    try:
        with open(__file__, "rb") as file:
            client.audio.transcriptions.create(file=("notes.wav", file.read(), "audio/wav"), model="tiny.en")
        raise AssertionError("a file that is not audio was transcribed")
    except openai.BadRequestError as error:
        check("invalid_audio" in str(error) or "decode" in str(error).lower(), f"not audio: {error}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--earshot", required=True)
    arguments = parser.parse_args()
    work = tempfile.mkdtemp(prefix="earshot-openai-")
    server = EarshotServer(arguments.earshot, os.path.join(work, "data"), os.path.join(work, "server.log"), ["--workers", "1"])
    try:
        server.wait_until_ready()
        run(openai.OpenAI(base_url=f"{server.base}/v1", api_key="unused", max_retries=0, timeout=300))
        print("openai client test passed")
    except AssertionError:
        sys.stderr.write(server.log_tail())
        raise
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(f"openai client test FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
