"""The OpenAI client over HTTP against a local compatible server: one logged
call per request, the key masked, each failure its own error."""

import json

import pytest

from integrations.models import ApiLog
from integrations.openai import errors
from integrations.openai.client import configured, openai_request
from tests.integrations.openai.server import KEY

pytestmark = pytest.mark.django_db
SCHEMA = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"],
          "additionalProperties": False}
MESSAGES = [{"role": "user", "content": "Привет"}]


def ask():
    return openai_request(action="test", messages=MESSAGES, json_schema=SCHEMA, schema_name="t")


def test_a_structured_answer_is_parsed_and_the_call_logged_with_the_key_masked(fake_openai):
    fake_openai.reply = lambda request: json.dumps({"summary": "Выручка растёт."})

    answer = ask()

    assert answer.data == {"summary": "Выручка растёт."} and answer.model == "gpt-4o-mini"
    sent = fake_openai.requests[0]
    assert sent["headers"]["authorization"] == f"Bearer {KEY}"
    assert sent["json"]["response_format"]["type"] == "json_schema"
    assert sent["json"]["response_format"]["json_schema"]["strict"] is True
    log = ApiLog.objects.get()
    assert (log.service, log.action, log.method, log.status_code, log.ok) == ("openai", "test", "POST", 200, True)
    assert KEY not in log.request and KEY[-4:] in log.request and "/chat/completions" in log.request


@pytest.mark.parametrize(("mode", "error", "transient", "status"), [
    ("429", errors.OpenAIRateLimited, True, 429),
    ("500", errors.OpenAIServerError, True, 500),
    ("401", errors.OpenAIRejected, False, 401),
    ("malformed", errors.OpenAIBadResponse, False, 200),
    ("garbage", errors.OpenAIBadResponse, False, 200),
])
def test_each_failure_is_its_own_error_logged_once_without_the_key(fake_openai, mode, error, transient, status):
    fake_openai.mode = mode

    with pytest.raises(error) as raised:
        ask()

    assert raised.value.transient is transient
    assert len(fake_openai.requests) == 1  # the client's own retries are off: the caller decides
    log = ApiLog.objects.get()
    assert not log.ok and log.status_code == status and KEY not in log.error and KEY not in log.request


def test_a_rate_limit_says_when_to_come_back(fake_openai):
    fake_openai.mode = "429"
    with pytest.raises(errors.OpenAIRateLimited) as raised:
        ask()
    assert raised.value.retry_after == 1.0


def test_a_slow_server_is_a_timeout(fake_openai, settings):
    fake_openai.mode, fake_openai.delay = "timeout", 1.5
    settings.OPENAI_TIMEOUT = 0.3

    with pytest.raises(errors.OpenAITimeout):
        ask()

    assert ApiLog.objects.get().error.startswith("OpenAITimeout")


def test_no_server_is_unavailable(settings):
    settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = KEY, "http://127.0.0.1:9/v1"
    with pytest.raises(errors.OpenAIUnavailable):
        ask()
    assert ApiLog.objects.get().ok is False


def test_without_a_key_nothing_is_sent(settings):
    settings.OPENAI_API_KEY = ""
    assert not configured()
    with pytest.raises(errors.OpenAINotConfigured):
        ask()
    assert not ApiLog.objects.exists()
