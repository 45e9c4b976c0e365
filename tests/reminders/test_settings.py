"""Reminder and SMTP settings: read once, and a URL or sender that cannot work is refused at
start, in one line, not at the first email."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from events.reminders.email import SmtpConfig, parse_url
from schema.settings import Settings
from tests.operability.test_configuration import kehu, one_line


def test_smtp_urls_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_url("smtps://mail%40corp:p%2Fw@smtp.example.com") == \
        parse_url("smtps://mail%40corp:p%2Fw@smtp.example.com:465")
    server = parse_url("smtp://kehu:secret@10.0.0.5:2525")
    assert (server.hostname, server.port, server.use_tls, server.username, server.password) == \
        ("10.0.0.5", 2525, False, "kehu", "secret")
    assert parse_url("smtps://mail%40corp:p%2Fw@smtp.example.com").username == "mail@corp"
    monkeypatch.setenv("KEHU_JWT_SECRET", "x" * 40)
    monkeypatch.setenv("KEHU_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("KEHU_REMINDER_APPROVAL_WAIT", "2")
    monkeypatch.setenv("KEHU_SMTP_RETRY_BASE", "1")
    settings = Settings.from_env()
    assert settings.reminders.approval_wait == timedelta(hours=2)
    assert settings.smtp.url == "smtp://127.0.0.1:2525"
    assert [settings.smtp.backoff(n) for n in (1, 2, 3)] == [1, 2, 4]
    assert SmtpConfig(retry_base_s=30, retry_max_s=60).backoff(10) == 60


@pytest.mark.parametrize(("name", "value", "says"), [
    ("KEHU_SMTP_URL", "http://mail.example.com", "KEHU_SMTP_URL must be smtp://"),
    ("KEHU_SMTP_FROM", "kehu@example.com\nBcc: all@example.com", "KEHU_SMTP_FROM must be"),
])
def test_a_smtp_setting_that_cannot_work_is_refused_in_one_line(
    tmp_path: Path, name: str, value: str, says: str
) -> None:
    assert says in one_line(kehu(tmp_path, "migrate", **{name: value}))
