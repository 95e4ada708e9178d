"""The outside channels a reminder goes out on: email over SMTP, and a group-bot webhook.

Both are configured from the environment (see tracker/settings.py); an unset host or URL turns the
channel off. Every failure is raised as `DeliveryError` with a short reason that the delivery log
keeps, so a retry or a clerk reading the log knows what went wrong.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit, urlunsplit

TIMEOUT = 15  # seconds, for one SMTP conversation step or one webhook request


class DeliveryError(Exception):
    """A channel refused or failed to take a message; the text says why."""


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpConfig:
    """Where email goes: TRACKER_SMTP_HOST/PORT/USER/PASSWORD/FROM/STARTTLS.

    `starttls` is "1" to upgrade the connection with STARTTLS (port 587), "ssl" for TLS from the
    first byte (port 465), "0" for neither (a relay on the same network).
    """

    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "tracker@localhost"
    starttls: str = "0"

    @classmethod
    def from_env(cls) -> SmtpConfig | None:
        host = os.environ.get("TRACKER_SMTP_HOST", "").strip()
        if not host:
            return None
        return cls(
            host=host,
            port=int(os.environ.get("TRACKER_SMTP_PORT") or 25),
            user=os.environ.get("TRACKER_SMTP_USER", ""),
            password=os.environ.get("TRACKER_SMTP_PASSWORD", ""),
            sender=os.environ.get("TRACKER_SMTP_FROM") or "tracker@localhost",
            starttls=(os.environ.get("TRACKER_SMTP_STARTTLS") or "0").strip().lower(),
        )


class Mailer:
    """One SMTP connection for a batch of messages, opened at the first message and closed on exit."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.starttls == "ssl":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
        try:
            if _flag(c.starttls):
                smtp.starttls(context=ssl.create_default_context())
            if c.user:
                smtp.login(c.user, c.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
        """Send one plain-text message to `to`; raises DeliveryError with the server's reason."""
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain="tracker")
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(body)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"收件人被拒绝: {_smtp_reason(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryError(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"SMTP 连接失败: {exc}") from None

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _smtp_reason(recipients: dict) -> str:
    return "; ".join(f"{to} {code} {_text(reason)}" for to, (code, reason) in recipients.items())


@dataclass(frozen=True)
class WebhookConfig:
    """A group bot's URL (TRACKER_WEBHOOK_URL), WeCom or DingTalk style."""

    url: str

    @classmethod
    def from_env(cls) -> WebhookConfig | None:
        url = os.environ.get("TRACKER_WEBHOOK_URL", "").strip()
        return cls(url) if url else None

    @property
    def display(self) -> str:
        """The URL without its query, where bots keep their key: safe to log and to store."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def post_webhook(url: str, text: str, timeout: float = TIMEOUT) -> str:
    """POST `{"msgtype": "text", "text": {"content": text}}` to a group bot; returns the HTTP status line.

    A status other than 2xx fails, and so does a 2xx whose JSON body carries a non-zero `errcode`
    (WeCom and DingTalk answer 200 with an error code when they refuse a message).
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError("TRACKER_WEBHOOK_URL 必须以 http:// 或 https:// 开头")
    payload = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=payload, method="POST", headers={"Content-Type": "application/json; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        with exc:
            raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"无法连接群机器人: {getattr(exc, 'reason', exc)}") from None
    try:
        answer = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise DeliveryError(
            f"群机器人拒收: errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip()
        )
    return f"HTTP {status}"
