"""Sending mail: where it goes is one URL, `SMTP_URL` (smtp://[user:password@]host:port for
STARTTLS when the server offers it, smtps:// for TLS from the start). `make run` points it at
its embedded mail sink (stack/mail_sink.py) unless it is set."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Optional
from urllib.parse import unquote, urlparse

import aiosmtplib

SCHEMES = {"smtp": 25, "smtps": 465}  # and each one's usual port


class BadSmtpUrl(ValueError):
    """SMTP_URL is not a URL we can send mail through."""


class MailNotSent(Exception):
    """The mail server could not be reached or refused the mail; the message says which."""


@dataclass(frozen=True)
class SmtpAddress:
    host: str
    port: int
    use_tls: bool  # smtps: TLS from the first byte
    username: Optional[str] = None
    password: Optional[str] = None

    @classmethod
    def from_url(cls, url: str) -> SmtpAddress:
        parsed = urlparse(url)
        try:
            port = parsed.port
        except ValueError:
            port = -1
        if parsed.scheme not in SCHEMES or not parsed.hostname or port == -1:
            raise BadSmtpUrl(f"SMTP_URL must look like smtp://[user:password@]host:port "
                             f"(or smtps:// for TLS from the start), got {_hidden(url)!r}.")
        return cls(parsed.hostname, port or SCHEMES[parsed.scheme], parsed.scheme == "smtps",
                   unquote(parsed.username) if parsed.username else None,
                   unquote(parsed.password) if parsed.password else None)


def _hidden(url: str) -> str:
    """The URL with its password left out, for error messages and logs."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


class Mailer:
    """Sends plain-text mail from `sender` through `smtp` (None: mail is not set up)."""

    def __init__(self, smtp: Optional[SmtpAddress], sender: str, timeout_seconds: float
                 ) -> None:
        self.smtp = smtp
        self.sender = sender
        self.timeout_seconds = timeout_seconds

    async def send(self, to: str, subject: str, body: str) -> None:
        if self.smtp is None:
            raise MailNotSent("No mail server is set up (SMTP_URL is empty), so no mail was "
                              "sent: set SMTP_URL, or start the service with `make run`.")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message, hostname=self.smtp.host, port=self.smtp.port,
                username=self.smtp.username, password=self.smtp.password,
                use_tls=self.smtp.use_tls, timeout=self.timeout_seconds)
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"The mail server at {self.smtp.host}:{self.smtp.port} did not "
                              f"take the mail ({error}); check SMTP_URL and that the server "
                              f"is up.") from error
