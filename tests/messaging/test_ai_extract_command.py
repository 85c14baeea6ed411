"""``manage.py ai_extract``: JSON lines in, one JSON line out per message with
exactly the keys of ``Extraction.as_json()``; a bad line is reported with its
number and the command ends non-zero; with the model or the rules."""

import io
import json
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command

from messaging.assistant.extraction import FIELDS
from tests.integrations.openai import server
from tests.liveserver import BASE_DIR, process_env

fake_openai = server.fake_openai  # the local model server, as a fixture of this module
KEYS = [*FIELDS, "engine"]
NHA_TRANG = {"text": "Хотим в Нячанг в марте на 10 ночей вдвоём, до 1,5 млн тенге"}


def lines(*rows) -> str:
    return "".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n" for row in rows)


def run(path, *args) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ai_extract", "--jsonl", str(path), *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_each_message_gives_one_line_with_exactly_the_extraction_keys(tmp_path, settings):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "messages.jsonl"
    source.write_text(lines(NHA_TRANG, {"text": "Спасибо!", "today": "2026-05-01"}, {"text": "в марте"}),
                      encoding="utf-8")

    answers, errors = run(source, "--today", "2026-11-21")

    assert errors == "" and [list(answer) for answer in answers] == [KEYS] * 3
    assert answers[0] == {
        "intent": "tour_request", "language": "ru", "destination_country": "Vietnam", "destination_resort": "Nha Trang",
        "departure_city": None, "date_from": "2027-03-01", "date_to": "2027-03-31", "nights_from": 10,
        "nights_to": 10, "adults": 2, "children": None, "children_ages": None, "budget_amount": 1500000,
        "budget_currency": "KZT", "engine": "rules",
    }
    assert answers[1]["intent"] == "other"
    assert answers[2]["date_from"] == "2027-03-01"  # --today for lines without their own


def test_a_line_of_its_own_today_reads_dates_against_it(tmp_path, settings):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "messages.jsonl"
    source.write_text(lines({"text": "в марте", "today": "2027-04-02"}), encoding="utf-8")
    answers, _ = run(source, "--today", "2026-11-21")
    assert answers[0]["date_from"] == "2028-03-01"


def test_bad_lines_are_reported_with_their_numbers_and_the_others_still_answered(tmp_path, settings):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "messages.jsonl"
    source.write_text(lines(NHA_TRANG, "{not json", {"message": "no text"}, "", {"text": "ок", "today": "вчера"},
                            {"text": "Где ваш офис?"}), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="3 line"):
        call_command("ai_extract", "--jsonl", str(source), stdout=out, stderr=err)

    assert [json.loads(line)["intent"] for line in out.getvalue().splitlines()] == ["tour_request", "question"]
    assert "line 2: not JSON" in err.getvalue()
    assert 'line 3: expected an object with a "text" string' in err.getvalue()
    assert "line 5: “вчера” is not a date" in err.getvalue()


def test_a_missing_file_and_a_bad_today_are_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ai_extract", "--jsonl", str(tmp_path / "absent.jsonl"))
    with pytest.raises(CommandError, match="--today"):
        call_command("ai_extract", "--jsonl", "-", "--today", "21.11.2026")


@pytest.mark.django_db
def test_auto_uses_the_configured_model_and_rules_can_be_forced(tmp_path, fake_openai):
    fake_openai.reply = lambda request: json.dumps({
        "intent": "tour_request", "language": "ru", "destination_country": "Vietnam", "destination_resort": "Nha Trang",
        "departure_city": None, "date_from": "2027-03-01", "date_to": "2027-03-31", "nights_from": 10,
        "nights_to": 10, "adults": 2, "children": None, "children_ages": None, "budget_amount": 1500000,
        "budget_currency": "KZT", "phone": None, "email": None, "urgent": False, "confidence": 0.9, "reasons": [],
    })
    source = tmp_path / "messages.jsonl"
    source.write_text(lines(NHA_TRANG), encoding="utf-8")

    by_model, _ = run(source, "--today", "2026-11-21")
    by_rules, _ = run(source, "--today", "2026-11-21", "--engine", "rules")

    assert by_model[0]["engine"] == "openai" and by_rules[0]["engine"] == "rules"
    assert {**by_model[0], "engine": "rules"} == by_rules[0]
    assert len(fake_openai.requests) == 1


@pytest.mark.django_db
def test_names_outside_the_catalogue_are_printed_as_written(tmp_path, fake_openai):
    fake_openai.reply = lambda request: json.dumps({
        **dict.fromkeys(FIELDS), "intent": "tour_request", "language": "ru", "destination_country": "Япония",
        "phone": None, "email": None, "urgent": False, "confidence": 0.6, "reasons": [],
    }, ensure_ascii=False)
    source = tmp_path / "messages.jsonl"
    source.write_text(lines({"text": "Хотим в Японию"}), encoding="utf-8")
    out = io.StringIO()

    call_command("ai_extract", "--jsonl", str(source), stdout=out)

    assert '"destination_country": "Япония"' in out.getvalue()  # not \\u-escaped


@pytest.mark.django_db
def test_when_the_model_fails_the_line_is_answered_by_the_rules(tmp_path, fake_openai):
    fake_openai.mode = "429"
    source = tmp_path / "messages.jsonl"
    source.write_text(lines(NHA_TRANG), encoding="utf-8")

    answers, errors = run(source, "--engine", "openai", "--today", "2026-11-21")

    assert answers[0]["engine"] == "rules" and answers[0]["destination_resort"] == "Nha Trang" and errors == ""


def ai_extract(stdin: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "ai_extract", "--jsonl", "-", *args], input=stdin, capture_output=True,
        text=True, cwd=BASE_DIR, env=process_env({"OPENAI_API_KEY": "", "PYTHONIOENCODING": "utf-8"}), timeout=60,
        check=False,
    )


def test_reads_standard_input_in_its_own_process():
    done = ai_extract(lines(NHA_TRANG, {"text": "Сәлеметсіз бе! Вьетнамға турлар бар ма?"}), "--today", "2026-11-21")

    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [list(answer) for answer in answers] == [KEYS, KEYS]
    assert answers[0]["destination_resort"] == "Nha Trang" and answers[1]["language"] == "kk"


def test_in_its_own_process_a_bad_line_means_a_non_zero_exit():
    done = ai_extract(lines(NHA_TRANG, "[1, 2]"))

    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 1
    assert 'line 2: expected an object with a "text" string' in done.stderr


# Shapes that made the rules take time growing faster than the text (issue 18): a run
# of digits, ages that can be split in every way ("1,1,1…"), a range read from every
# digit ("1 - 1 - …"), addresses searched from every letter, a 1 MB unbroken token.
ADVERSARIAL = {
    "digits": "1" * 100_000,
    "spaced digits": "1 " * 50_000,
    "phone prefixes": "+7" * 50_000,
    "month names": "март " * 20_000,
    "at signs": "a@" * 50_000,
    "ages": "1," * 50_000,
    "ranges": "1 - " * 25_000,
    "thousands": "1 000 " * 16_667,
    "dates": "1.1." * 25_000,
    "thanks": "спасибо за " * 9_091,
    "one token": "a" * 1_000_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL)
def test_a_huge_message_of_any_shape_is_read_in_under_a_second(tmp_path, settings, text):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "huge.jsonl"
    source.write_text(lines({"text": text, "today": "2026-03-01"}), encoding="utf-8")

    started = time.monotonic()
    answers, errors = run(source, "--engine", "rules")
    took = time.monotonic() - started

    assert errors == "" and len(answers) == 1
    assert took < 1.0, f"{took:.2f} s"


def test_a_huge_message_is_understood_from_its_beginning(tmp_path, settings):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "huge.jsonl"
    source.write_text(lines({"text": NHA_TRANG["text"] + " " + "1 000 " * 200_000, "today": "2026-02-01"},
                            {"text": "1" * 100_000 + " Хотим в Нячанг", "today": "2026-02-01"}), encoding="utf-8")

    (head, tail), errors = run(source, "--engine", "rules")

    assert (head["destination_resort"], head["nights_from"], head["adults"], head["budget_amount"]) == (
        "Nha Trang", 10, 2, 1_500_000)
    assert tail["destination_resort"] is None  # beyond what the assistant reads


def test_the_prefix_ends_at_a_space_and_never_reads_half_a_number(tmp_path, settings):
    settings.OPENAI_API_KEY = ""
    source = tmp_path / "cut.jsonl"
    # The cut falls inside "1 500 000": its half ("1 5") must not be read as a budget.
    text = "Хотим в Нячанг, на неделю, бюджет примерно 1 500 000 тенге, вдвоём"
    settings.ASSISTANT_MAX_CHARS = text.index("1 500") + 3
    source.write_text(lines({"text": text, "today": "2026-02-01"}), encoding="utf-8")

    (answer,), errors = run(source, "--engine", "rules")

    assert (answer["destination_resort"], answer["nights_from"], answer["budget_amount"]) == ("Nha Trang", 7, None)
