"""A local SendGrid for tests and demos (see ``integrations.fakes``): the v3
``/v3/mail/send`` endpoint (202 with ``X-Message-Id``), and ``mail_arrives``,
which posts a mail to our inbound webhook as Inbound Parse does (multipart form
fields), again until it is accepted."""

import uuid
from email.utils import format_datetime

from django.utils import timezone

from integrations.fakes import Answer, Call, FakeProvider

DEFAULT_API_KEY = "SG.local-demo-sendgrid-key"  # noqa: S105 (the local server's own, public key)


class FakeSendGrid(FakeProvider):
    name = "sendgrid"

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, webhook_url: str = "", **kwargs):
        super().__init__(**kwargs)
        self.api_key = api_key
        self.webhook_url = webhook_url

    def error_body(self, status: int):
        return {"errors": [{"message": f"HTTP {status}", "field": None, "help": None}]}

    def api(self, call: Call) -> Answer:
        if call.headers.get("Authorization") != f"Bearer {self.api_key}":
            return Answer(401, {"errors": [{"message": "The provided authorization grant is invalid, expired, or "
                                                       "revoked", "field": None, "help": None}]})
        if call.path != "/v3/mail/send" or call.method != "POST":
            return Answer(404, self.error_body(404))
        body = call.json if isinstance(call.json, dict) else {}
        if not body.get("personalizations") or not body.get("from"):
            return Answer(400, {"errors": [{"message": "The personalizations field is required.",
                                            "field": "personalizations", "help": None}]})
        return Answer(202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})

    def sent(self) -> list[dict]:
        return [c.json for c in self.api_calls("/v3/mail/send")]

    def mail_arrives(self, *, sender: str, text: str, subject: str = "Тур во Вьетнам", to: str = "crm@crystalbay.kz",
                     message_id: str | None = None, copies: int = 1) -> str:
        """Post one inbound mail (the default, parsed format) to the webhook; returns its Message-ID."""
        message_id = message_id or f"{uuid.uuid4().hex}@mail.example.kz"
        headers = (f"Message-ID: <{message_id}>\nDate: {format_datetime(timezone.now())}\nFrom: {sender}\n"
                   f"To: {to}\nSubject: {subject}\n")
        fields = {"headers": headers, "from": sender, "to": to, "subject": subject, "text": text,
                  "envelope": '{{"to":["{}"],"from":"{}"}}'.format(to, sender.split("<")[-1].strip(">")),
                  "charsets": '{"to":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
                  "spam_score": "0.1", "attachments": "0", "sender_ip": "203.0.113.10",
                  "SPF": "pass", "dkim": "{{@{} : pass}}".format(sender.split("@")[-1].strip("> "))}
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                 for name, value in fields.items()]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        self.deliver(self.webhook_url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"},
                     copies=copies)
        return message_id
