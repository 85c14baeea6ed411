from integrations.masking import mask_secret, mask_url

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
