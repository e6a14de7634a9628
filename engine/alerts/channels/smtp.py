"""Sending one rendered notification to an email channel over SMTP (standard library only).

One mail per notification: the subject says what and how bad, the body is the
plain-text rendering with its link, and every retry is the same mail — the
idempotency key travels in a header and the Message-ID is derived from it, so
a receiver can drop the copies. Errors never quote the login.
"""

from __future__ import annotations

import email.policy
import hashlib
import ipaddress
import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from engine.alerts import messages
from engine.alerts.channels.base import SendFailed
from engine.alerts.config import Channel
from engine.core.version import VERSION

log = logging.getLogger(__name__)

KEY_HEADER = "X-Heartbeat-Idempotency-Key"
# Folding a subject at 78 characters makes Python put the break where readers then show a stray space;
# subjects are at most 200 characters, well within the hard limit of 998.
_POLICY = email.policy.SMTP.clone(max_line_length=998)


def sender(channel: Channel) -> str:
    return channel.secrets.get("from") or channel.options["from"]


def recipients(channel: Channel) -> list[str]:
    """The ``to:`` list of the file, or the comma-separated addresses of its ``to_env`` variable."""
    if "to" in channel.env:
        return [address.strip() for address in channel.secrets.get("to", "").split(",") if address.strip()]
    return list(channel.options["to"])


def message_id(idempotency_key: str, from_address: str) -> str:
    """The same Message-ID for every attempt of one notification."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or "heartbeat.invalid"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}.heartbeat@{domain}>"


def message_for(channel: Channel, payload: dict[str, Any], idempotency_key: str) -> EmailMessage:
    """The mail a channel sends for a payload: subject, plain-text body ending with the link, dedup headers."""
    mail = EmailMessage(policy=_POLICY)
    mail["Subject"] = messages.email_subject(payload)
    mail["From"] = sender(channel)
    mail["To"] = ", ".join(recipients(channel))
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = message_id(idempotency_key, sender(channel))
    mail[KEY_HEADER] = idempotency_key
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay away
    mail["X-Mailer"] = f"heartbeat/{VERSION}"
    mail.set_content(messages.plain_text(payload) + "\n", cte="quoted-printable")  # 7-bit safe for any relay
    return mail


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _within(smtp: smtplib.SMTP, deadline: float) -> None:
    """Give the next exchange only what is left of the delivery timeout (smtplib's is per operation)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    if smtp.sock is not None:
        smtp.sock.settimeout(left)


def _deliver(host: str, port: int, tls: str, login: tuple[str, str] | None, mail: EmailMessage, to: list[str],
             deadline: float, timeout: float, where: list[str]) -> dict:
    """The SMTP conversation; ``where[0]`` follows the step so a failure can name it."""
    context = ssl.create_default_context()
    smtp = (smtplib.SMTP_SSL(host, port, timeout=timeout, context=context) if tls == "implicit"
            else smtplib.SMTP(host, port, timeout=timeout))
    try:
        if tls == "starttls":
            where[0] = "STARTTLS"
            _within(smtp, deadline)
            smtp.starttls(context=context)
        if login:
            where[0] = "login"
            _within(smtp, deadline)
            smtp.login(*login)
        where[0] = "send"
        _within(smtp, deadline)
        refused = smtp.send_message(mail, to_addrs=to)
    except BaseException:
        smtp.close()
        raise
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()  # the mail was accepted: a failed goodbye is no reason to send it again
    return refused


def _failure(channel: Channel, exc: BaseException, step: str, timeout: float, port: int) -> SendFailed:
    """One sentence for a failed conversation: what failed at which step, never the server's quote of a login."""
    name = channel.name
    # smtplib turns a read that timed out into SMTPServerDisconnected.
    if isinstance(exc, TimeoutError) or (isinstance(exc, smtplib.SMTPServerDisconnected)
                                         and isinstance(exc.__context__, TimeoutError)):
        return SendFailed(f"{name}: no answer from the SMTP server within {timeout:g}s ({step})")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendFailed(f"{name}: the SMTP server closed the connection at {step}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The server's text may quote the user name: say only the code and what to check.
        return SendFailed(f"{name}: the SMTP server refused the login (SMTP {exc.smtp_code}); check "
                          f"{channel.env['username']} and {channel.env['password']}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        what = ("STARTTLS (use tls: implicit for port 465, or tls: none for a relay on this host)"
                if step == "STARTTLS" else "a login (leave out username_env and password_env)")
        return SendFailed(f"{name}: the SMTP server does not offer {what}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in exc.recipients.values()})
        return SendFailed(f"{name}: the SMTP server refused every recipient (SMTP {', '.join(codes)})")
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        said = "" if step == "login" else f" {' '.join(said.split())[:200]}"
        return SendFailed(f"{name}: SMTP {exc.smtp_code} at {step}:{said}")
    if isinstance(exc, smtplib.SMTPException):
        return SendFailed(f"{name}: {type(exc).__name__} at {step}")
    if isinstance(exc, ssl.SSLError):
        return SendFailed(f"{name}: TLS failed at {step} ({exc.reason or type(exc).__name__})")
    return SendFailed(f"{name}: cannot reach the SMTP server on port {port} "
                      f"({getattr(exc, 'strerror', None) or type(exc).__name__})")


def send(channel: Channel, payload: dict[str, Any], idempotency_key: str, timeout: float) -> None:
    """Hand the mail to the channel's SMTP server within ``timeout`` seconds in all, or raise SendFailed."""
    host, port, tls = channel.secrets["host"], channel.options["port"], channel.options["tls"]
    login = (channel.secrets["username"], channel.secrets["password"]) if "username" in channel.env else None
    if login and tls == "none" and not _loopback(host):
        raise SendFailed(f"{channel.name}: refusing to send the SMTP password unencrypted to another host; "
                         "use tls: starttls or tls: implicit")
    to = recipients(channel)
    if not to:
        raise SendFailed(f"{channel.name}: no recipient: set {channel.env['to']} to one or more addresses")
    try:
        mail = message_for(channel, payload, idempotency_key)
    except ValueError:
        raise SendFailed(f"{channel.name}: the sender or a recipient is not a valid address") from None
    where = ["connect"]  # the SMTP step in progress, for the error message
    try:
        refused = _deliver(host, port, tls, login, mail, to, time.monotonic() + timeout, timeout, where)
    except (smtplib.SMTPException, OSError) as exc:  # TimeoutError and ssl.SSLError are OSErrors
        raise _failure(channel, exc, where[0], timeout, port) from None
    if refused:
        # Sent to the others; sending again would repeat it to them, so this is not a failure.
        log.warning("%s: the SMTP server refused %d of %d recipients", channel.name, len(refused), len(to))
