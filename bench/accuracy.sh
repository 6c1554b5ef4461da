#!/usr/bin/env bash
# `make accuracy`: runs `proctord eval` with the shipped config on the labelled
# development set and writes its figures into bench/ACCURACY.md (the block between the
# "current" markers; the before/after history below it is kept as written).
#
#   bench/accuracy.sh [LABELS]   default ../shared/media/eval/labels.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
labels=${1:-../shared/media/eval/labels.jsonl}
bin=${PROCTORD_BIN:-target/release/proctord}
[[ -x $bin ]] || bin=target/debug/proctord
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$bin" eval --labels "$labels" --config config/proctord.toml --json >"$json"
python3 - "$json" "$labels" bench/ACCURACY.md "$(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')" <<'PY'
import json, sys, re, datetime
report, labels, target, commit = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
f = lambda v: "-" if v is None else f"{v:.2f}"
rows = ["| signal | TP | FP | FN | TN | precision | recall | F1 |", "|---|---|---|---|---|---|---|---|"]
for s in report["signals"]:
    if not s["supported"]:
        rows.append(f"| {s['signal']} | unsupported | | | | | | |")
        continue
    rows.append(f"| {s['signal']} | {s['true_positives']} | {s['false_positives']} | {s['false_negatives']} | {s['true_negatives']} | {f(s['precision'])} | {f(s['recall'])} | {f(s['f1'])} |")
la, fc = report["looking_away"], report["faces"]
rows += ["",
  f"- looking away: accuracy **{f(la['accuracy'])}** on {la['labelled']}; facing the screen called away {la['facing_called_away']} of {la['facing']} (**{f(la['facing_called_away_share'])}**); looking away caught {la['away_caught']} of {la['away']}; candidate not found {la['candidate_missed']}",
  f"- face count right on {fc['right']} of {fc['labelled']} (**{f(fc['accuracy'])}**); faces on {fc['empty_scenes_with_faces']} of {fc['empty_scenes']} empty scenes",
  "- wrong by source: " + ", ".join(f"{s['source']} {s['images_wrong']}/{s['images']}" for s in report["by_source"])]
block = (f"<!-- current:begin -->\nShipped config (`config/proctord.toml`) at {commit}, {report['images']} images of `{labels}`, "
         f"written by `make accuracy` on {datetime.date.today()}:\n\n" + "\n".join(rows) + "\n<!-- current:end -->")
text = open(target).read()
text = re.sub(r"<!-- current:begin -->.*?<!-- current:end -->", lambda _: block, text, flags=re.S)
open(target, "w").write(text)
print(block)
PY
