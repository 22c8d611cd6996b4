"""The faster-whisper worker's fitted windows (live utterances): loop detection and what a
definitive or provisional request answers as pure functions, then the real worker process on the LibriVox clips over its JSON-lines
protocol, scoring words against the references.

    .venv/bin/python -m unittest tests/engine/fitted_window_test.py
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import wave

import numpy

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(REPO, "Sources", "EarshotEngine", "Python", "faster_whisper_worker.py")
sys.path.insert(0, os.path.dirname(WORKER))
sys.path.insert(0, os.path.join(REPO, "scripts"))

import faster_whisper.transcribe as transcribe_module  # noqa: E402
import faster_whisper_worker as worker  # noqa: E402
from librivox import CLIPS, clip_path, references, word_error_rate, words  # noqa: E402


def segment(text, tokens=5, avg_logprob=-0.2):
    return transcribe_module.Segment(
        id=1, seek=0, start=0.0, end=1.0, text=text, tokens=list(range(tokens)), avg_logprob=avg_logprob,
        compression_ratio=1.0, no_speech_prob=0.01, words=None, temperature=0.0,
    )


class LoopDetection(unittest.TestCase):
    def test_a_phrase_said_twice_in_a_row_is_a_loop(self):
        self.assertEqual(worker.loop_start("He was not he was not"), 3)
        # Case and punctuation do not hide it.
        self.assertEqual(worker.loop_start(" He was not. He was NOT. He WAS NOT."), 3)
        self.assertEqual(worker.loop_start("Had he married him? Had he married him?"), 4)
        self.assertEqual(worker.loop_start("Mr. John Dashwood had then had then"), 5)

    def test_one_word_four_times_is_a_loop_three_is_speech(self):
        self.assertIsNone(worker.loop_start("no no no"))
        self.assertIsNotNone(worker.loop_start("the the the the end"))

    def test_a_word_that_stutters_is_a_loop(self):
        # Read on an AMD Zen 4 CPU from a fitted window: the decoder repeated one letter.
        self.assertEqual(worker.loop_start("He was not an old-s-y-y-y-y-"), 4)
        self.assertEqual(worker.loop_start("y-y-y"), 0)
        self.assertIsNone(worker.loop_start("a bye-bye from my mother-in-law, well-to-do and self-made"))

    def test_ordinary_sentences_are_not_loops(self):
        for text in ["", "And Mr. John Dashwood had then leisure to consider how much there might be",
                     "Unless to be rather cold-hearted and rather selfish is to be ill-disposed.",
                     "He might even have been made amiable himself.", "that that is, is"]:
            self.assertIsNone(worker.loop_start(text), text)

    def test_a_looped_final_is_decoded_again_a_looped_partial_is_cut(self):
        looped = [segment(" He was not he was not")]
        self.assertIsNone(worker.settle_fitted(looped, looped=True, provisional=False))
        self.assertEqual([s.text for s in worker.settle_fitted(looped, looped=True, provisional=True)], [" He was not"])
        # An empty segment is left out rather than sent.
        settled = worker.settle_fitted([segment(" "), segment(" a b a b")], looped=True, provisional=True)
        self.assertEqual([s.text for s in settled], [" a b"])
        fine = [segment(" He might even have been")]
        self.assertIs(worker.settle_fitted(fine, looped=False, provisional=False), fine)

    def test_a_partial_leaves_out_what_the_decoder_was_unsure_of_a_final_keeps_it(self):
        unsure = [segment(" Hadi Mary.", avg_logprob=-1.25), segment(" had he married", avg_logprob=-0.78)]
        self.assertEqual([s.text for s in worker.settle_fitted(unsure, looped=False, provisional=True)], [" had he married"])
        self.assertEqual(len(worker.settle_fitted(unsure, looped=False, provisional=False)), 2)

    def test_a_partial_keeps_what_came_before_the_loop(self):
        self.assertEqual(worker.cut_loop(segment(" He was not he was not he was")).text, " He was not")
        self.assertEqual(worker.cut_loop(segment(" Mr. John")).text, " Mr. John")
        self.assertEqual(worker.cut_loop(segment(" a b a b")).text, " a b")


class FittedAudio(unittest.TestCase):
    def test_half_a_second_of_silence_is_appended_and_the_window_covers_it(self):
        audio = numpy.ones(16000, dtype=numpy.float32)
        padded, frames = worker.fitted_audio(audio)
        self.assertEqual(padded.size, 24000)
        self.assertTrue(numpy.all(padded[16000:] == 0))
        self.assertGreaterEqual(frames, 150)
        self.assertLess(frames, 160)

    def test_audio_that_fills_a_whole_window_is_not_fitted(self):
        self.assertIsNone(worker.fitted_audio(numpy.zeros(30 * 16000, dtype=numpy.float32)))
        self.assertIsNotNone(worker.fitted_audio(numpy.zeros(29 * 16000, dtype=numpy.float32)))

    def test_the_library_padding_is_restored_even_after_an_error(self):
        original = transcribe_module.pad_or_trim
        with self.assertRaises(RuntimeError):
            with worker.fitted_window(120):
                self.assertEqual(transcribe_module.pad_or_trim(numpy.zeros((80, 50))).shape, (80, 120))
                self.assertEqual(transcribe_module.pad_or_trim(numpy.zeros((80, 500))).shape, (80, 120))
                raise RuntimeError("decoding failed")
        self.assertIs(transcribe_module.pad_or_trim, original)
        self.assertEqual(transcribe_module.pad_or_trim(numpy.zeros((80, 50))).shape, (80, 3000))

    def test_the_token_cap_grows_with_the_audio_and_leaves_room_for_a_prompt(self):
        self.assertEqual(worker.fitted_token_cap(1.0), 16)
        self.assertLess(worker.fitted_token_cap(0.5), worker.fitted_token_cap(5.0))
        self.assertEqual(worker.fitted_token_cap(29.0), worker.FIT_MAX_NEW_TOKENS)
        self.assertLessEqual(worker.FIT_MAX_NEW_TOKENS + 223 + 5, 448)


class WorkerProcess(unittest.TestCase):
    """The real worker and tiny.en on real speech."""

    requests = 0

    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.process = subprocess.Popen(
            [sys.executable, WORKER, "--models-dir", os.path.join(cls.scratch.name, "models"), "--threads", "2", "--compute-type", "int8"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        cls.clips = []
        texts = references()
        for clip in CLIPS:
            with wave.open(clip_path(clip), "rb") as handle:
                samples = numpy.frombuffer(handle.readframes(handle.getnframes()), dtype=numpy.int16).astype("<f4") / 32768
            path = os.path.join(cls.scratch.name, f"{clip}.f32")
            samples.astype("<f4").tofile(path)
            cls.clips.append((path, samples.size / 16000, texts[clip]))

    @classmethod
    def tearDownClass(cls):
        cls.process.stdin.close()
        cls.process.wait(timeout=60)
        cls.scratch.cleanup()

    def request(self, **fields):
        WorkerProcess.requests += 1
        request = {"op": "transcribe", "id": f"r{WorkerProcess.requests}", "model": "tiny.en", "beam_size": 1, **fields}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        replies = []
        while not replies or replies[-1]["type"] not in ("done", "error"):
            replies.append(json.loads(self.process.stdout.readline()))
        self.assertEqual(replies[-1]["type"], "done", replies[-1])
        return replies

    @staticmethod
    def errors(reference, text):
        count = len(words(reference))
        return round(word_error_rate(reference, text) * count), count

    def test_fitted_windows_read_the_clips_as_well_as_standard_ones(self):
        fitted_errors = standard_errors = total = 0
        for path, duration, reference in self.clips:
            fitted = self.request(audio=path, fit_window=True)
            standard = self.request(audio=path)
            fitted_segments = [r for r in fitted if r["type"] == "segment"]
            # One pass, one segment, inside the audio (not in the silent tail), and the duration
            # reported is the audio's own.
            self.assertEqual(len(fitted_segments), 1, fitted_segments)
            self.assertLessEqual(fitted_segments[0]["end"], duration + 1e-6)
            self.assertAlmostEqual(next(r for r in fitted if r["type"] == "info")["duration"], duration, places=3)
            errors, count = self.errors(reference, " ".join(r["text"] for r in fitted_segments))
            fitted_errors += errors
            total += count
            standard_errors += self.errors(reference, " ".join(r["text"] for r in standard if r["type"] == "segment"))[0]
        self.assertLessEqual(fitted_errors / total, standard_errors / total + 0.01, (fitted_errors, standard_errors, total))
        self.assertLessEqual(fitted_errors / total, 0.15)

    def test_a_partial_that_cannot_fall_back_still_answers_the_words_heard(self):
        path, _, reference = self.clips[3]
        replies = self.request(audio=path, fit_window=True, provisional=True)
        text = " ".join(r["text"] for r in replies if r["type"] == "segment")
        errors, count = self.errors(reference, text)
        self.assertLessEqual(errors / count, 0.15, text)


if __name__ == "__main__":
    unittest.main()
