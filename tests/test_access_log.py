"""gunicorn as production runs it (gunicorn.conf.py): its access log in JSON lines,
without the secrets the webhooks carry in their URLs; /metrics counts the requests
of every worker and answers only METRICS_TOKEN."""

import json

import requests

WAZZUP_TOKEN = "wazzup-url-token-4d1e8b7a6c"  # noqa: S105
EMAIL_SECRET = "inbound-email-secret-93ab51f0"  # noqa: S105
WHATSAPP_VERIFY = "wa-verify-token-7c22e190"  # noqa: S105
METRICS_TOKEN = "metrics-token-e51f0c2d88"  # noqa: S105
OTHER_SECRETS = {"api_key": "key-value-0a9b8c7d", "signature": "sig-value-1f2e3d4c", "password": "pw-value-5b6a7988"}


def test_the_access_log_writes_json_lines_without_the_webhooks_secrets(subprocess_database_url, gunicorn, tmp_path):
    access_log = tmp_path / "access.log"
    base_url = gunicorn({
        "DATABASE_URL": subprocess_database_url,
        "GUNICORN_CMD_ARGS": f"--access-logfile={access_log}",
        "WAZZUP_WEBHOOK_TOKEN": WAZZUP_TOKEN,
        "INBOUND_EMAIL_SECRET": EMAIL_SECRET,
        "WHATSAPP_VERIFY_TOKEN": WHATSAPP_VERIFY,
    })
    wrong_token = "wrong-token-value-88aa77bb"  # noqa: S105

    calls = [
        requests.post(f"{base_url}/webhooks/wazzup/?token={WAZZUP_TOKEN}", json={"test": True}, timeout=10),
        requests.post(f"{base_url}/webhooks/wazzup/?token={wrong_token}", json={}, timeout=10),
        requests.post(f"{base_url}/webhooks/email/?token={EMAIL_SECRET}", data={}, timeout=10),
        requests.get(f"{base_url}/webhooks/whatsapp/", timeout=10, params={
            "hub.mode": "subscribe", "hub.verify_token": WHATSAPP_VERIFY, "hub.challenge": "1158201444"}),
        requests.get(f"{base_url}/health", params=OTHER_SECRETS, timeout=10,
                     headers={"Referer": f"https://crm.example.kz/webhooks/email/?token={EMAIL_SECRET}"}),
    ]

    assert [call.status_code for call in calls] == [200, 403, 400, 200, 200]
    assert calls[3].text == "1158201444"
    written = access_log.read_text()
    for secret in (WAZZUP_TOKEN, wrong_token, EMAIL_SECRET, WHATSAPP_VERIFY, *OTHER_SECRETS.values()):
        assert secret not in written
    lines = [json.loads(line) for line in written.splitlines()]
    ours = [line for line in lines if line["path"] != "/health" or line["query"]]
    assert [(line["method"], line["path"], line["query"], line["status"]) for line in ours] == [
        ("POST", "/webhooks/wazzup/", "token=***", 200),
        ("POST", "/webhooks/wazzup/", "token=***", 403),
        ("POST", "/webhooks/email/", "token=***", 400),
        ("GET", "/webhooks/whatsapp/", "hub.mode=subscribe&hub.verify_token=***&hub.challenge=1158201444", 200),
        ("GET", "/health", "api_key=***&signature=***&password=***", 200),
    ]
    assert ours[-1]["referer"] == "https://crm.example.kz/webhooks/email/?token=***"
    assert [line["request_id"] for line in ours] == [call.headers["X-Request-ID"] for call in calls]


def test_metrics_count_the_requests_of_the_workers_and_answer_only_the_token(subprocess_database_url, gunicorn):
    base_url = gunicorn({"DATABASE_URL": subprocess_database_url, "METRICS_TOKEN": METRICS_TOKEN})
    for _ in range(3):
        requests.post(f"{base_url}/webhooks/wazzup/?token=wrong", json={}, timeout=10)

    refused = requests.get(f"{base_url}/metrics", timeout=10)
    response = requests.get(f"{base_url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)

    assert refused.status_code == 403
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    counted = [line for line in response.text.splitlines()
               if line.startswith("django_http_responses_total_by_status_view_method_total{")
               and 'status="403"' in line and "wazzup" in line]
    assert len(counted) == 1
    assert counted[0].endswith(" 3.0")
