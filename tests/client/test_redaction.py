"""The API key never appears in a repr, an exception, a log line, an output or a recording."""

from __future__ import annotations

import base64
import logging
import socket
import traceback

import pytest

from hsnb.client import ApiError, Client, TransportError
from hsnb.recorder import Recorder
from tests.client.conftest import SECRET_KEY, SIGNERS, completed, create

FORMS = (
    SECRET_KEY,
    base64.b64encode(f"{SECRET_KEY}:".encode()).decode(),
    base64.b64encode(SECRET_KEY.encode()).decode()[:40],
)


def assert_no_key(text: str) -> None:
    """``text`` holds the key in no form (plain, Basic header, base64)."""
    for form in FORMS:
        assert form not in text


def test_repr_shows_base_url_and_only_that_a_key_is_set(client, emulator):
    text = repr(client)
    assert text == f"<hsnb.Client base_url={emulator.api_url!r} api_key=<set>>"
    assert str(client) == text
    assert_no_key(repr(vars(client)))


def test_a_whole_session_leaks_the_key_nowhere(
    client, listener, emulator, caplog, capsys, tmp_path
):
    caplog.set_level(logging.DEBUG)
    texts = []
    recording = tmp_path / "session.jsonl"
    with Recorder(recording, source="emulator") as recorder:
        recorder.attach(client).attach_listener(listener)
        sr = completed(client, listener, emulator)
        texts.append(repr(client.get(sr.signature_request_id)))
        texts.append(repr(client.file_url(sr.signature_request_id)))
        for call in (
            lambda: client.get("nope"),
            lambda: client.create_embedded([b"%PDF"], [{"name": "x"}]),
            lambda: client.remind(sr.signature_request_id, "jack@example.com"),
            lambda: client.update_account(callback_url="foo"),
        ):
            with pytest.raises(ApiError) as caught:
                call()
            error = caught.value
            texts += [str(error), repr(error), repr(vars(error))]
            texts.append("".join(traceback.format_exception(error)))
            texts.append(repr(dict(error.response.request.headers)))
            texts.append(repr(error.response.request.__dict__))
        print(client, client.get_account(), client.list_page())
    captured = capsys.readouterr()
    texts += [captured.out, captured.err, caplog.text, recording.read_text()]
    texts += [record.getMessage() for record in caplog.records]
    assert any("/signature_request/" in record.getMessage() for record in caplog.records)
    for text in texts:
        assert_no_key(text)


def test_a_key_echoed_by_the_server_is_scrubbed_from_messages(client, emulator):
    with pytest.raises(ApiError) as caught:
        client.update_account(callback_url=SECRET_KEY)
    assert "<redacted>" in str(caught.value)
    assert_no_key(str(caught.value))


def test_transport_errors_name_the_url_but_not_the_key():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Client(api_key=SECRET_KEY, base_url=f"http://127.0.0.1:{port}/v3") as client:
        with pytest.raises(TransportError) as caught:
            client.get_account()
    text = "".join(traceback.format_exception(caught.value))
    assert f"port={port}" in text
    assert_no_key(text)
    kept = caught.value.__cause__.request  # the request object requests keeps on its error
    assert "Authorization" not in kept.headers


def test_the_key_is_sent_as_basic_auth_with_an_empty_password(client, exchanges):
    sent_headers = []
    client._session.hooks["response"].append(
        lambda response, **kwargs: sent_headers.append(response.request.headers["Authorization"])
    )
    client.get_account()
    assert sent_headers == ["Basic " + FORMS[1]]
    assert "Authorization" not in exchanges[-1].response.request.headers


def test_recorded_emails_are_stand_ins(client, listener, tmp_path):
    recording = tmp_path / "emails.jsonl"
    with Recorder(recording) as recorder:
        recorder.attach(client)
        create(client)
        client.create_embedded([b"%PDF-1.4 x"], [("Real Person", "someone@corp.test")] + SIGNERS)
    text = recording.read_text()
    assert "corp.test" not in text and "person1@example.com" in text
    assert "jack@example.com" in text
