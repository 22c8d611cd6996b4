"""The LibriVox test recordings (Debian's pocketsphinx-testdata) and word error rate, shared by the
browser test and the benchmarks so both score speech the same way."""
import os
import re
import socket

LIBRIVOX = "/usr/share/pocketsphinx/test/data/librivox"
CLIPS = ["0870", "0880", "0890", "0920", "0930"]


def clip_path(clip):
    return os.path.join(LIBRIVOX, f"sense_and_sensibility_01_austen_64kb-{clip}.wav")


def references():
    """Clip number → the reading's reference text."""
    texts = {}
    with open(os.path.join(LIBRIVOX, "transcription"), encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"<s>(.*)</s> \(sense_and_sensibility_01_austen_64kb-(.*)\)", line.strip())
            if match:
                texts[match.group(2)] = match.group(1).strip()
    return texts


def words(text):
    return re.findall(r"[a-z']+", text.lower().replace("mr.", "mister"))


def word_error_rate(reference, hypothesis):
    """(substitutions + deletions + insertions) / reference words."""
    ref, hyp = words(reference), words(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1] / max(len(ref), 1)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
