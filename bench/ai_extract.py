"""Accuracy and speed of the assistant's rule engine on the labelled messages.

    .venv/bin/python bench/ai_extract.py [--data FILE ...] [--repeat 20] [--quiet]

Runs ``extract_rules`` over every line of each labelled set (each with its own
``today``; by default ``tests/data/ai_messages.jsonl`` and the blind
``tests/data/ai_messages_holdout2.jsonl``) and prints, per field of ``FIELDS``
(and ``urgent``), the share of messages where the engine agrees with the
label, over all messages and over the hold-out ones (the first set's were
labelled after the rules were written but later used to fix phrase families;
the second set was written by someone who never saw the rules);
then messages per second and the p99 latency of one message over ``--repeat``
passes, and every disagreement (text, field, expected, got). The target is
90 % or better on every field and under 2 ms per message. Writes
``bench/results/ai_extract.json``. Needs no database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "ai_messages.jsonl"
# Written by someone who never saw the rules, and never used to change them.
BLIND = ROOT / "tests" / "data" / "ai_messages_holdout2.jsonl"
RESULTS = ROOT / "bench" / "results" / "ai_extract.json"
TARGET_ACCURACY = 0.90
TARGET_P99_MS = 2.0
EXTRA_FIELDS = ("urgent",)


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def answer(extraction) -> dict:
    """The engine's answer in the label's terms: the ``ai_extract`` line plus ``urgent``."""
    return {**extraction.as_json(), **{name: getattr(extraction, name) for name in EXTRA_FIELDS}}


def score(rows: list[dict], extract) -> dict:
    """Per-field accuracy over ``rows`` (all, and hold-out), and every failure.
    ``extract(text, today)`` returns an ``Extraction``."""
    from messaging.assistant.extraction import FIELDS

    names = (*FIELDS, *EXTRA_FIELDS)
    right = {"all": dict.fromkeys(names, 0), "holdout": dict.fromkeys(names, 0)}
    failures = []
    for row in rows:
        got = answer(extract(row["text"], dt.date.fromisoformat(row["today"])))
        for name in names:
            if got[name] == row["expected"][name]:
                right["all"][name] += 1
                right["holdout"][name] += 1 if row.get("holdout") else 0
            else:
                failures.append({"text": row["text"], "field": name, "expected": row["expected"][name],
                                 "got": got[name], "holdout": bool(row.get("holdout"))})
    counts = {"all": len(rows), "holdout": sum(1 for row in rows if row.get("holdout"))}
    accuracy = {part: {name: round(hits / counts[part], 3) if counts[part] else None for name, hits in fields.items()}
                for part, fields in right.items()}
    return {"messages": counts, "accuracy": accuracy, "failures": failures}


def speed(rows: list[dict], extract, repeat: int) -> dict:
    samples = []
    for _ in range(repeat):
        for row in rows:
            today = dt.date.fromisoformat(row["today"])
            started = time.perf_counter()
            extract(row["text"], today)
            samples.append((time.perf_counter() - started) * 1000)
    total_s = sum(samples) / 1000
    return {"messages_per_second": round(len(samples) / total_s), "median_ms": round(statistics.median(samples), 3),
            "p99_ms": round(statistics.quantiles(samples, n=100)[98], 3), "runs": len(samples)}


def report(rows: list[dict], extract, *, repeat: int, quiet: bool) -> dict:
    """Print one set's figures (and failures); return them."""
    found = {**score(rows, extract), "speed": speed(rows, extract, repeat)}
    print(f"{found['messages']['all']} messages, {found['messages']['holdout']} of them hold-out")
    print(f"{'field':22} {'all':>7} {'holdout':>8}")
    for name, value in found["accuracy"]["all"].items():
        holdout = found["accuracy"]["holdout"][name]
        mark = "" if value >= TARGET_ACCURACY else "  < target"
        print(f"{name:22} {value:7.1%} {holdout if holdout is None else format(holdout, '8.1%')}{mark}")
    timing = found["speed"]
    print(f"{timing['messages_per_second']} messages/s, median {timing['median_ms']} ms, p99 {timing['p99_ms']} ms"
          f" (target < {TARGET_P99_MS} ms)")
    if not quiet:
        for failure in found["failures"]:
            where = " [holdout]" if failure["holdout"] else ""
            print(f"- {failure['field']}: expected {failure['expected']!r}, got {failure['got']!r}{where}"
                  f" — {failure['text']}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", default=[DATA, BLIND],
                        help="labelled sets (default: the main set and the blind hold-out)")
    parser.add_argument("--repeat", type=int, default=20, help="passes over the set for the timing")
    parser.add_argument("--quiet", action="store_true", help="do not list the failures")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crystalbay.settings")
    os.environ.setdefault("SECRET_KEY", "bench-ai-extract-not-secret")
    import django

    django.setup()
    from messaging.assistant.rules import extract_rules

    def extract(text, today):
        return extract_rules(text, today=today)

    results = {}
    for path in args.data:
        print(f"== {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        results[path.name] = report(load(path), extract, repeat=args.repeat, quiet=args.quiet)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
        "machine": platform.machine(), "target_accuracy": TARGET_ACCURACY, "target_p99_ms": TARGET_P99_MS, "sets": results,
    }, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"written {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
