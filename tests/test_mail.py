"""Mail: SMTP_URL parsing with messages that say what to fix, the sender with clear errors, and
the embedded sink keeping a real mail the sender sent (on a free port, as `make run` does)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Iterator

import pytest

from router.mail import BadSmtpUrl, Mailer, MailNotSent, SmtpAddress
from stack.mail_sink import EmbeddedMailSink, MailSinkDidNotStart, count_kept, kept_mails
from stack.redis_server import free_port
from stack.run import Stack, open_mail
from stack.settings import BadSetting, RedisAddress, StackSettings
from webapp.settings import WebSettings


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[EmbeddedMailSink]:
    started = EmbeddedMailSink(tmp_path / "mail", free_port()).start()
    yield started
    started.stop()


def mailer(url: str) -> Mailer:
    return Mailer(SmtpAddress.from_url(url), "Pinecone <support@pinecone.example>", 5.0)


def test_an_smtp_url_gives_host_port_and_login() -> None:
    address = SmtpAddress.from_url("smtp://ana%40shop:p%2Fss@mail.example.org:587")
    assert address == SmtpAddress("mail.example.org", 587, False, "ana@shop", "p/ss")


def test_smtps_means_tls_from_the_start_and_its_usual_port() -> None:
    assert SmtpAddress.from_url("smtps://mail.example.org") == SmtpAddress(
        "mail.example.org", 465, True)


@pytest.mark.parametrize("url", ["mail.example.org:25", "http://mail.example.org",
                                 "smtp://", "smtp://host:99999", "smtp://host:port"])
def test_a_bad_smtp_url_says_what_it_should_look_like(url: str) -> None:
    with pytest.raises(BadSmtpUrl, match="smtp://.user:password@.host:port"):
        SmtpAddress.from_url(url)


def test_a_bad_smtp_url_never_shows_its_password() -> None:
    with pytest.raises(BadSmtpUrl) as refused:
        SmtpAddress.from_url("http://ana:hunter2secret@host")
    assert "hunter2secret" not in str(refused.value)


def test_a_bad_smtp_url_stops_make_run_and_the_web_service() -> None:
    with pytest.raises(BadSetting, match="SMTP_URL must look like"):
        StackSettings.from_env({"SMTP_URL": "localhost:25"})
    with pytest.raises(BadSmtpUrl):
        WebSettings.from_env({"SMTP_URL": "localhost:25"})


def test_the_web_service_reads_where_mail_goes() -> None:
    settings = WebSettings.from_env({"SMTP_URL": "smtp://127.0.0.1:2525",
                                     "MAIL_SINK_DIR": "/tmp/mail", "MAIL_FROM": "a@b.example"})
    assert settings.smtp == SmtpAddress("127.0.0.1", 2525, False)
    assert (settings.mail_sink_dir, settings.mail_from) == (Path("/tmp/mail"), "a@b.example")
    assert WebSettings.from_env({}).smtp is None and WebSettings.from_env({}).mail_sink_dir is None


async def test_the_sink_keeps_a_real_mail_the_sender_sent(sink: EmbeddedMailSink) -> None:
    await mailer(sink.url).send("jo@example.org", "Your message PC-7K3Q9",
                                "Hello Jo,\nit left today. Ünïcode too.")
    [mail] = kept_mails(sink.directory, 10)
    assert (mail["from"], mail["to"], mail["subject"]) == (
        "Pinecone <support@pinecone.example>", "jo@example.org", "Your message PC-7K3Q9")
    assert mail["text"] == "Hello Jo,\nit left today. Ünïcode too.\n"
    assert count_kept(sink.directory) == 1


async def test_kept_mails_are_private_and_listed_newest_first(sink: EmbeddedMailSink) -> None:
    for number in range(3):
        await mailer(sink.url).send("jo@example.org", f"mail {number}", "hi")
    assert [m["subject"] for m in kept_mails(sink.directory, 2)] == ["mail 2", "mail 1"]
    assert stat.S_IMODE(sink.directory.stat().st_mode) == 0o700
    for path in sink.directory.glob("*.eml"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_an_unreachable_mail_server_is_a_clear_error() -> None:
    with pytest.raises(MailNotSent, match=r"127.0.0.1:\d+ did not take the mail.*SMTP_URL"):
        await mailer(f"smtp://127.0.0.1:{free_port()}").send("jo@example.org", "s", "b")


async def test_without_a_mail_server_nothing_is_sent_and_it_says_so() -> None:
    with pytest.raises(MailNotSent, match="SMTP_URL is empty"):
        await Mailer(None, "a@b.example", 5.0).send("jo@example.org", "s", "b")


def test_a_taken_port_is_reported_with_the_log_to_read(sink: EmbeddedMailSink,
                                                       tmp_path: Path) -> None:
    with pytest.raises(MailSinkDidNotStart, match="mail_sink.log .is port"):
        EmbeddedMailSink(tmp_path / "other", sink.port).start()


def test_make_run_starts_a_sink_only_without_smtp_url(tmp_path: Path) -> None:
    assert open_mail(StackSettings(data_dir=tmp_path, smtp_url="smtp://mail:25")) == (
        "smtp://mail:25", None)
    url, started = open_mail(StackSettings(data_dir=tmp_path, embedded_mail_port=free_port()))
    try:
        assert started is not None and started.directory == tmp_path / "mail"
        assert url == started.url and url.startswith("smtp://127.0.0.1:")
    finally:
        assert started is not None
        started.stop()


def test_every_server_learns_where_mail_goes_and_the_web_service_the_sink(
    tmp_path: Path,
) -> None:
    stack = Stack(StackSettings(data_dir=tmp_path), RedisAddress.from_url("redis://h:1/0"),
                  "token", smtp_url="smtp://127.0.0.1:2525", mail_sink_dir=tmp_path / "mail")
    for service in stack.services():
        assert service.env["SMTP_URL"] == "smtp://127.0.0.1:2525"
        assert service.env["MAIL_SINK_DIR"] == str(tmp_path / "mail")
