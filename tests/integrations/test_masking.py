import pytest

from integrations.masking import mask_secret, mask_url, redact_query_secrets

TOKEN = "f3b1c9a0-samo-oauth-token-7d2e"


def test_secret_shows_at_most_its_last_four_characters():
    assert mask_secret(TOKEN) == "••••••7d2e"
    assert mask_secret("short") == "••••••"
    assert mask_secret("") == ""


def test_url_masks_secret_parameters_credentials_and_given_secrets():
    url = f"https://user:pw@samo.example/export/default.php?samo_action=api&oauth_token={TOKEN}&town=Алматы"
    masked = mask_url(url)
    assert TOKEN not in masked and "pw" not in masked
    assert "oauth_token=••••••7d2e" in masked
    assert "samo_action=api" in masked
    bot = "123456:AAH-telegram-bot-token-xyz"
    assert bot not in mask_url(f"https://api.telegram.org/bot{bot}/sendMessage", (bot,))


@pytest.mark.parametrize(("text", "redacted"), [
    ("POST /webhooks/wazzup/?token=abc123 HTTP/1.1", "POST /webhooks/wazzup/?token=*** HTTP/1.1"),
    ("hub.mode=subscribe&hub.verify_token=s3cr3t&hub.challenge=42", "hub.mode=subscribe&hub.verify_token=***&hub.challenge=42"),
    ("/x?page=2&api_key=k1&Signature=s1&password=p1&secret=q1&oauth_token=t1",
     "/x?page=2&api_key=***&Signature=***&password=***&secret=***&oauth_token=***"),
    ("<WSGIRequest: POST '/webhooks/email/?token=abc'>", "<WSGIRequest: POST '/webhooks/email/?token=***'>"),
    ('{"url": "https://h/x?token=abc"}', '{"url": "https://h/x?token=***"}'),
    ("/inbox/?page=2&q=token", "/inbox/?page=2&q=token"),
    ("nothing to see", "nothing to see"),
])
def test_secret_query_parameters_are_redacted_wherever_a_url_is_written(text, redacted):
    assert redact_query_secrets(text) == redacted
