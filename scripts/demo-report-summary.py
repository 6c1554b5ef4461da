#!/usr/bin/env python3
"""One line about a session's report for `make demo` to print on exit: its integrity score
and its events by kind. Usage: scripts/demo-report-summary.py REPORT.json"""
import json
import sys
from collections import Counter

with open(sys.argv[1], encoding="utf-8") as f:
    report = json.load(f)
kinds = Counter(e["kind"] for e in report.get("events", []))
listed = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in sorted(kinds.items())) or "no events"
print(f"integrity score {report['score']:.1f}/100 after {report['duration_s']:.0f} s ({listed})")
