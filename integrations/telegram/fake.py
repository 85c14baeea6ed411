"""A local Telegram Bot API server for tests and demos (see ``integrations.fakes``):
``sendMessage``, ``answerCallbackQuery``, ``setWebhook``, ``getWebhookInfo``,
``deleteWebhook``; users "write" with ``user_writes`` (or ``POST
/__fake__/inbound``) and press the inline buttons of the messages sent to them
with ``user_presses``, and the update is delivered to the registered webhook
with the secret-token header until it is accepted, the way Telegram retries.
``message_update`` and ``callback_update`` build the same updates without
delivering them (for tests that post to the webhook themselves)."""

import itertools
import time
from typing import Any

from integrations.fakes import Answer, Call, FakeProvider, json_body

DEFAULT_TOKEN = "123456:local-demo-bot-token"  # noqa: S105 (the local server's own, public token)


class FakeTelegram(FakeProvider):
    name = "telegram"

    def __init__(self, *, token: str = DEFAULT_TOKEN, **kwargs):
        super().__init__(**kwargs)
        self.token = token
        self.webhook_url = ""
        self.secret_token = ""
        self._update_ids = itertools.count(100001)
        self._message_ids: dict[int, itertools.count] = {}
        self._callback_ids = itertools.count(1)
        # What the bot sent, per chat (the messages whose buttons a user can press).
        self.sent: dict[int, list[dict]] = {}

    def error_body(self, status: int) -> Any:
        body = {"ok": False, "error_code": status, "description": {
            400: "Bad Request: chat not found", 403: "Forbidden: bot was blocked by the user",
            429: "Too Many Requests: retry after 1"}.get(status, "Internal Server Error")}
        if status == 429:
            body["parameters"] = {"retry_after": 1}
        return body

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.sent.clear()

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def api(self, call: Call) -> Answer:
        prefix = f"/bot{self.token}/"
        if not call.path.startswith(prefix):
            return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = call.path.removeprefix(prefix)
        params = call.json if isinstance(call.json, dict) else dict(call.query)
        if method == "sendMessage":
            text = str(params.get("text") or "")
            if not text.strip():
                return Answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"})
            if len(text) > 4096:
                return Answer(400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"})
            chat_id = int(params.get("chat_id", 0))
            sent = {
                "message_id": self._next_message_id(chat_id), "date": int(time.time()), "text": text,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Crystal Bay"},
            }
            if isinstance(params.get("reply_markup"), dict):
                sent["reply_markup"] = params["reply_markup"]
            with self.lock:
                self.sent.setdefault(chat_id, []).append(sent)
            return Answer(200, {"ok": True, "result": sent})
        if method == "answerCallbackQuery":
            if not params.get("callback_query_id"):
                return Answer(400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: query is too old and response timeout expired "
                                                   "or query ID is invalid"})
            return Answer(200, {"ok": True, "result": True})
        if method == "setWebhook":
            secret = str(params.get("secret_token") or "")
            if secret and not all(ch.isalnum() or ch in "_-" for ch in secret):
                return Answer(400, {"ok": False, "error_code": 400,
                                    "description": "Bad Request: secret token contains unallowed characters"})
            self.webhook_url, self.secret_token = str(params.get("url") or ""), secret
            return Answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
        if method == "deleteWebhook":
            self.webhook_url = ""
            return Answer(200, {"ok": True, "result": True})
        if method == "getWebhookInfo":
            pending = sum(1 for d in self.deliveries if not d.accepted)
            return Answer(200, {"ok": True, "result": {"url": self.webhook_url, "pending_update_count": pending}})
        return Answer(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})

    @staticmethod
    def _person(chat_id: int, first_name: str, last_name: str, username: str, language_code: str) -> dict:
        person = {"id": chat_id, "is_bot": False, "first_name": first_name}
        if last_name:
            person["last_name"] = last_name
        if username:
            person["username"] = username
        if language_code:
            person["language_code"] = language_code
        return person

    def message_update(self, *, chat_id: int, text: str, first_name: str = "Айгерим", last_name: str = "",
                       username: str = "", language_code: str = "") -> dict:
        """A private message from user ``chat_id``, as Telegram delivers it."""
        person = self._person(chat_id, first_name, last_name, username, language_code)
        return {"update_id": next(self._update_ids), "message": {
            "message_id": self._next_message_id(chat_id), "from": person,
            "chat": {k: v for k, v in person.items() if k not in ("is_bot", "language_code")} | {"type": "private"},
            "date": int(time.time()), "text": text,
        }}

    def user_writes(self, *, chat_id: int, text: str, first_name: str = "Айгерим", last_name: str = "",
                    username: str = "", copies: int = 1, language_code: str = "") -> dict:
        """A private message from user ``chat_id``, delivered to the webhook."""
        update = self.message_update(chat_id=chat_id, text=text, first_name=first_name, last_name=last_name,
                                     username=username, language_code=language_code)
        self.deliver_update(update, copies=copies)
        return update

    def keyboard(self, chat_id: int) -> list[list[dict]]:
        """The inline buttons of the latest message sent to the chat that has any."""
        with self.lock:
            sent = [m for m in self.sent.get(chat_id, []) if m.get("reply_markup")]
        return sent[-1]["reply_markup"].get("inline_keyboard", []) if sent else []

    def callback_update(self, *, chat_id: int, data: str = "", label: str = "", first_name: str = "Айгерим",
                        username: str = "", language_code: str = "") -> dict:
        """A press of a button (by its ``callback_data`` or its label) of the latest
        message sent to the chat that shows it, as Telegram delivers it."""
        with self.lock:
            sent = list(reversed(self.sent.get(chat_id, [])))
        for message in sent:
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if (data and button.get("callback_data") == data) or (label and button.get("text") == label):
                        person = self._person(chat_id, first_name, "", username, language_code)
                        return {"update_id": next(self._update_ids), "callback_query": {
                            "id": f"{chat_id}{next(self._callback_ids):06d}", "from": person, "message": message,
                            "chat_instance": f"-{chat_id}", "data": button["callback_data"],
                        }}
        raise LookupError(f"No button {data or label!r} was sent to chat {chat_id}.")

    def user_presses(self, *, chat_id: int, data: str = "", label: str = "", copies: int = 1) -> dict:
        """A press of one of the bot's buttons, delivered to the webhook."""
        update = self.callback_update(chat_id=chat_id, data=data, label=label)
        self.deliver_update(update, copies=copies)
        return update

    def deliver_update(self, update: dict, *, copies: int = 1) -> None:
        if not self.webhook_url:
            raise RuntimeError("No webhook is set (setWebhook first).")
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        self.deliver(self.webhook_url, json_body(update), headers, copies=copies)

    def control(self, call: Call) -> Answer | None:
        if call.path == "/__fake__/inbound" and call.method == "POST":
            body = call.json or {}
            update = self.user_writes(chat_id=int(body.get("chat_id", 123456789)), text=str(body.get("text", "")),
                                      first_name=str(body.get("first_name", "Айгерим")),
                                      username=str(body.get("username", "")))
            return Answer(200, update)
        if call.path == "/__fake__/sent":
            return Answer(200, [c.json for c in self.api_calls("/sendMessage")])
        return None
