#!/usr/bin/env python3
"""Reply shape of a `parley eval --cases-out` file: replies cut mid-sentence (not
ending in . ! ? or an ellipsis, closing quotes allowed), over four sentences, and
degenerate (a word 4-gram three times, as the scorer counts it). The BENCHMARKS.md
talk-set tables use it.   bench/reply-shape.py OUT.jsonl…"""
import json
import re
import sys

end = re.compile(r'[.!?…]["\'”’)\]]*$')
sentence = re.compile(r'[^.!?…]+[.!?…]+')
for path in sys.argv[1:]:
    rows = [json.loads(line) for line in open(path) if line.strip()]
    cut = [r["id"] for r in rows if r["reply"].strip() and not end.search(r["reply"].strip())]
    long = [r["id"] for r in rows if len(sentence.findall(r["reply"])) > 4]
    degenerate = [r["id"] for r in rows if any("degenerate" in f for f in r.get("failures", []))]
    print(json.dumps({"file": path, "replies": len(rows), "cut_mid_sentence": len(cut), "over_4_sentences": len(long),
                      "degenerate": len(degenerate), "cut_ids": cut}))
