"""Read messages the way the assistant does: ``manage.py ai_extract --jsonl FILE``.

Each line of FILE ("-" for standard input) is ``{"text": …}``, optionally with
``"today": "YYYY-MM-DD"``; each answer is one JSON line with the keys of
``Extraction.as_json()``. A line that cannot be read is reported on standard
error with its number and skipped; the command then ends with a non-zero status.
"""

import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from messaging.assistant.extraction import extract

ENGINES = {"auto": None, "rules": "rules", "openai": "openai"}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"“{value}” is not a date (YYYY-MM-DD)") from None


def _message(line: str) -> tuple[str, dt.date | None]:
    """The text and the optional ``today`` of one input line; ValueError says what is wrong."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ValueError('expected an object with a "text" string')
    today = data.get("today")
    if today is not None and not isinstance(today, str):
        raise ValueError('"today" must be a YYYY-MM-DD string')
    return data["text"], _date(today) if today else None


class Command(BaseCommand):
    help = "Print what each message of a JSON-lines file says (intent, destination, dates …), one JSON line each."

    def add_arguments(self, parser):
        parser.add_argument("--jsonl", required=True, help='the input file, "-" for standard input')
        parser.add_argument("--engine", choices=ENGINES, default="auto",
                            help="auto: the model when one is configured, else the rules")
        parser.add_argument("--today", help="the date the messages were written (YYYY-MM-DD), for lines without one")

    def handle(self, *args, jsonl, engine, today, **options):
        try:
            default_today = _date(today) if today else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from None
        try:
            stream = sys.stdin if jsonl == "-" else open(jsonl, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {jsonl}: {exc.strerror}") from None
        failed = 0
        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    text, line_today = _message(line)
                except ValueError as exc:
                    failed += 1
                    self.stderr.write(f"line {number}: {exc}")
                    continue
                found = extract(text, today=line_today or default_today, engine=ENGINES[engine])
                self.stdout.write(json.dumps(found.as_json(), ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} line(s) could not be read", returncode=1)
