"""A real SMTP server (aiosmtpd) on localhost standing in for the bank's mail relay."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.support.running_app import free_port


class MailServer:
    """An SMTP server on localhost that records every mail and answers DATA from a script (then 250).

    With ``login``, it requires AUTH; a wrong login is refused with a reply that quotes what it was given
    (as careless servers do), so a test can check that none of it reaches an error.
    """

    def __init__(self, script: list[str] | None = None, login: tuple[str, str] | None = None) -> None:
        self.script = list(script or [])
        self.attempts: list[Any] = []  # every message offered, accepted or not
        self.mails: list[Any] = []  # the accepted ones
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self.login = login
        self.lock = threading.Lock()
        self.port = free_port()
        auth: dict[str, Any] = {}
        if login:
            auth = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(given[0])
        if given == self.login:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 no user {given[0]} with password {given[1]}")

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's naming)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.attempts.append(mail)
            answer = self.script.pop(0) if self.script else "250 OK"
            if answer.startswith("250"):
                self.mails.append(mail)
                self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return answer

    def close(self) -> None:
        self.controller.stop()
