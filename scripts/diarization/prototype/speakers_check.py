"""Listening-free identity check of the short pocketsphinx-testdata recordings.
Per-clip utterance embeddings (resemblyzer embed_utterance equivalent, after -30 dBFS normalisation);
pairs of clips of KNOWN same speaker (within librivox, within one asterisk voice) and KNOWN different
speakers (across those) calibrate what 'same' looks like for 1-7 s clips; then the unknown pairs."""
import glob, itertools, numpy as np
from encoder import Encoder, load_audio, normalize_volume
D = "/usr/share/pocketsphinx/test/data/"; A = "/usr/share/asterisk/sounds/"
groups = {
 "librivox": sorted(glob.glob(D + "librivox/*.wav")),
 "allison": sorted(glob.glob(A + "en_US_f_Allison/*.g722"))[100:105],
 "carlo": sorted(glob.glob(A + "it_IT_m_Carlo/*.g722"))[100:105],
 "june": sorted(glob.glob(A + "fr_CA_f_June/*.g722"))[100:105],
 "cards": sorted(glob.glob(D + "cards/*.wav")),
 "goforward": [D + "goforward.raw"], "numbers": [D + "numbers.raw"], "something": [D + "something.raw"],
 "tidigits_dhd": [D + "tidigits/dhd.2934z.raw"],
}
enc = Encoder()
emb = {}
for g, fs in groups.items():
    for f in fs:
        emb[(g, f.split("/")[-1])] = enc.embed_utterance(normalize_volume(load_audio(f)))
keys = list(emb)
known = ["librivox", "allison", "carlo", "june"]
same = [float(emb[a] @ emb[b]) for a, b in itertools.combinations(keys, 2) if a[0] == b[0] and a[0] in known]
diff = [float(emb[a] @ emb[b]) for a, b in itertools.combinations(keys, 2) if a[0] != b[0] and a[0] in known and b[0] in known]
print("known same-speaker clip pairs: n=%d min %.3f mean %.3f max %.3f" % (len(same), min(same), np.mean(same), max(same)))
print("known diff-speaker clip pairs: n=%d min %.3f mean %.3f max %.3f" % (len(diff), min(diff), np.mean(diff), max(diff)))
unk = ["cards", "goforward", "numbers", "something", "tidigits_dhd"]
uk = [k for k in keys if k[0] in unk]
print("\nunknown clips, pairwise cosine:")
print(" " * 24 + " ".join("%8s" % k[1][:8] for k in uk))
for a in uk:
    print("%-24s" % ("%s/%s" % (a[0][:9], a[1][:12])) + " ".join("%8.3f" % (emb[a] @ emb[b]) for b in uk))
def mean_sim(g1, g2):
    v = [float(emb[a] @ emb[b]) for a in keys for b in keys if a[0] == g1 and b[0] == g2 and a != b]
    return np.mean(v)
print("\nmean cross-group similarity (clip level):")
for g1, g2 in itertools.combinations(unk + ["librivox"], 2):
    print("  %-13s %-13s %.3f" % (g1, g2, mean_sim(g1, g2)))
print("  cards within: %.3f" % mean_sim("cards", "cards"))
