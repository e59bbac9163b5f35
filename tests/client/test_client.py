"""Every Client method against the running emulator, over real HTTP."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import threading
from collections.abc import Iterator

import pytest

from hsnb.client import (
    Account,
    ApiApp,
    BadRequest,
    Client,
    Deleted,
    EmbeddedSignUrl,
    FileUrl,
    NotFound,
    SignatureRequest,
)
from hsnb.client.http import DEFAULT_BASE_URL, resolve_api_key, resolve_base_url
from tests.client.conftest import NDA, SECRET_KEY, SIGNERS, WAIT, completed, create, sent

# -- where the client talks to ------------------------------------------------------------------


def test_base_url_defaults_to_the_running_emulator(emulator):
    with Client() as client:
        assert client.base_url == emulator.api_url
        assert client.is_emulator and client.has_api_key
        assert client.client_id == emulator.client_id


def test_base_url_argument_wins_over_environment(monkeypatch):
    monkeypatch.setenv("HSNB_BASE_URL", "http://127.0.0.1:2/v3")
    assert resolve_base_url("http://127.0.0.1:1/v3/") == "http://127.0.0.1:1/v3"
    assert resolve_base_url() == "http://127.0.0.1:2/v3"


def test_dropbox_sign_base_url_variable_is_read():
    env = {"DROPBOX_SIGN_BASE_URL": "http://127.0.0.1:3/v3"}
    assert resolve_base_url(env=env) == "http://127.0.0.1:3/v3"


def test_base_url_falls_back_to_the_real_api_without_an_emulator(monkeypatch):
    monkeypatch.setattr("hsnb.client.http.running_emulator", lambda base_url=None: None)
    assert resolve_base_url(env={}) == DEFAULT_BASE_URL == "https://api.hellosign.com/v3"


def test_key_from_argument_then_environment():
    env = {"HSNB_API_KEY": "from-hsnb", "DROPBOX_SIGN_API_KEY": "from-dbs"}
    assert resolve_api_key("given", DEFAULT_BASE_URL, env) == "given"
    assert resolve_api_key(None, DEFAULT_BASE_URL, env) == "from-dbs"
    assert resolve_api_key(None, DEFAULT_BASE_URL, {"HSNB_API_KEY": "h"}) == "h"
    assert resolve_api_key(None, DEFAULT_BASE_URL, {}) is None


def test_the_emulators_key_is_used_for_the_emulator_even_with_a_key_in_the_environment(
    emulator, monkeypatch
):
    monkeypatch.setenv("DROPBOX_SIGN_API_KEY", "a-real-key")
    assert resolve_api_key(None, emulator.api_url) == SECRET_KEY


def test_client_is_a_context_manager_closing_its_session(emulator):
    with Client(base_url=emulator.api_url) as client:
        client.get_account()
        pools = client._session.get_adapter(emulator.api_url).poolmanager.pools
        assert len(pools) == 1
    assert len(pools) == 0
    client.close()  # closing twice is harmless


# -- signature requests -------------------------------------------------------------------------


def test_create_embedded_from_a_path(client, emulator):
    sr = create(client, metadata={"case": 42}, subject="Please sign", message="Thanks")
    assert isinstance(sr, SignatureRequest)
    assert sr.title == "NDA" and sr.subject == "Please sign" and sr.message == "Thanks"
    assert sr.metadata == {"case": 42}
    assert sr.test_mode is True
    assert sr.client_id == emulator.client_id
    assert [s.signer_name for s in sr.signatures] == ["Jack Doe", "Jill Doe"]
    assert sr.raw["signature_request_id"] == sr.signature_request_id


def test_create_embedded_from_bytes_file_objects_and_pairs(client):
    data = NDA.read_bytes()
    for files in ([data], [io.BytesIO(data)], [("contract.pdf", data)], data):
        sr = client.create_embedded(files, SIGNERS, use_text_tags=True)
        assert len(sr.signatures) == 2


def test_create_embedded_with_signer_dicts(client):
    signers = [{"name": "Jack", "email_address": "jack@example.com", "order": 0}]
    sr = client.create_embedded([NDA], signers, use_text_tags=False)
    assert sr.signatures[0].signer_email_address == "jack@example.com"


def test_create_embedded_test_mode_can_be_switched_off(client):
    assert create(client, test_mode=False).test_mode is False


def test_create_embedded_passes_other_parameters(client):
    sr = create(client, cc_email_addresses=["boss@example.com"], allow_decline=True)
    assert sr.raw["cc_email_addresses"] == ["boss@example.com"]


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Print nothing."""


@pytest.fixture
def documents_url() -> Iterator[str]:
    """``data/documents`` over HTTP on 127.0.0.1 (the standard library's server, in a thread)."""
    handler = functools.partial(_QuietFiles, directory=str(NDA.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}"
        server.shutdown()
        thread.join(WAIT)


def test_create_embedded_with_urls_sends_file_urls(client, exchanges, listener, documents_url):
    url = f"{documents_url}/{NDA.name}"
    sr = client.create_embedded([url], SIGNERS, use_text_tags=True)
    assert exchanges[-1].json_body["file_urls"] == [url]
    assert not sr.has_error  # the 200 comes before the download
    sr_id = sr.signature_request_id
    event = listener.wait_for(
        ["signature_request_sent", "file_error"], signature_request_id=sr_id, timeout=WAIT
    )
    assert event.event_type == "signature_request_sent"
    assert {s.status_code for s in client.get(sr_id).signatures} == {"awaiting_signature"}


def test_a_file_url_that_cannot_be_downloaded_ends_in_file_error(client, listener, documents_url):
    url = f"{documents_url}/no-such-file.pdf"
    sr_id = client.create_embedded([url], SIGNERS).signature_request_id
    event = listener.wait_for(
        ["signature_request_sent", "file_error"], signature_request_id=sr_id, timeout=WAIT
    )
    assert event.event_type == "file_error"
    message = f"could not download file_urls[0] ({url}): HTTP 404 File not found"
    assert event.event_message == message
    failed = client.get(sr_id)
    assert failed.has_error and {s.status_code for s in failed.signatures} == {"error_file"}


def test_a_data_url_is_sent_as_file_urls_and_processed(client, exchanges, listener):
    import base64

    url = "data:application/pdf;base64," + base64.b64encode(NDA.read_bytes()).decode()
    sr_id = client.create_embedded(url, SIGNERS, use_text_tags=True).signature_request_id
    assert exchanges[-1].json_body["file_urls"] == [url]
    event = listener.wait_for(
        ["signature_request_sent", "file_error"], signature_request_id=sr_id, timeout=WAIT
    )
    assert event.event_type == "signature_request_sent"


def test_create_embedded_refuses_uploads_and_urls_together(client):
    with pytest.raises(ValueError, match="not both"):
        client.create_embedded([NDA, "https://example.com/x.pdf"], SIGNERS)


def test_create_embedded_text_tag_warning_for_text_files(client):
    sr = client.create_embedded(
        [("letter.txt", b"Sign here [sig|req|signer1]")], SIGNERS[:1], use_text_tags=True
    )
    assert sr.warnings[0]["warning_name"] == "non_pdf_text_tags"


def test_send_is_not_embedded(client):
    sr = client.send([NDA], SIGNERS, use_text_tags=True, title="Sent")
    assert sr.signing_url is not None and sr.client_id is None


def test_get_returns_the_current_state(client, listener, emulator):
    sr = completed(client, listener, emulator)
    again = client.get(sr.signature_request_id)
    assert again.is_complete and {s.status_code for s in again.signatures} == {"signed"}


def test_sign_url(client, listener):
    sr = sent(client, listener)
    url = client.sign_url(sr.signatures[0].signature_id)
    assert isinstance(url, EmbeddedSignUrl)
    assert "/editor/embeddedSign?signature_id=" in url.sign_url and url.expires_at


def test_cancel_then_get_is_gone(client, listener):
    sr = sent(client, listener)
    assert client.cancel(sr.signature_request_id) is None
    listener.wait_for(
        "signature_request_canceled", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    with pytest.raises(Deleted) as caught:
        client.get(sr.signature_request_id)
    assert caught.value.error_name == "deleted"


def test_remind_a_sent_request(client, listener):
    sr = client.send([NDA], SIGNERS, use_text_tags=True)
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    reminded = client.remind(sr.signature_request_id, "jill@example.com", name="Jill Doe")
    assert reminded.signature_for("jill@example.com").raw["last_reminded_at"] is not None


def test_remind_an_embedded_request_is_refused(client, listener):
    sr = sent(client, listener)
    with pytest.raises(BadRequest) as caught:
        client.remind(sr.signature_request_id, "jack@example.com")
    assert caught.value.error_name == "invalid_reminder"
    assert "embedded" in caught.value.error_msg


# -- files ----------------------------------------------------------------------------------------


def test_files_as_pdf_bytes(client, listener, emulator):
    sr = completed(client, listener, emulator)
    assert client.files(sr.signature_request_id).startswith(b"%PDF")


def test_files_as_zip_to_a_directory(client, listener, emulator, tmp_path):
    sr = completed(client, listener, emulator)
    path = client.files(sr.signature_request_id, file_type="zip", path=tmp_path)
    assert path == tmp_path / f"{sr.signature_request_id}.zip"
    assert path.read_bytes().startswith(b"PK")


def test_files_to_a_file_path(client, listener, emulator, tmp_path):
    sr = completed(client, listener, emulator)
    target = tmp_path / "signed.pdf"
    assert client.files(sr.signature_request_id, path=target) == target
    assert target.read_bytes().startswith(b"%PDF")


def test_files_as_data_uri(client, listener, emulator):
    sr = completed(client, listener, emulator)
    uri = client.files_as_data_uri(sr.signature_request_id)
    prefix = "data:application/pdf;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).startswith(b"%PDF")


def test_file_url_downloads_without_auth(client, listener, emulator):
    import requests

    sr = completed(client, listener, emulator)
    link = client.file_url(sr.signature_request_id, force_download=False)
    assert isinstance(link, FileUrl) and link.expires_at
    response = requests.get(link.file_url, timeout=WAIT)
    assert response.content.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("inline")


# -- account and API apps -------------------------------------------------------------------------


def test_get_account(client, emulator, listener):
    account = client.get_account()
    assert isinstance(account, Account)
    assert account.account_id == emulator.account_id
    assert account.callback_url == listener.url


def test_update_account_callback_url_and_clear_it(client, emulator):
    assert client.update_account(callback_url="https://example.com/cb").callback_url == (
        "https://example.com/cb"
    )
    assert emulator.callback_url == "https://example.com/cb"
    assert client.update_account(callback_url="").callback_url is None


def test_update_account_rejects_an_invalid_url(client):
    with pytest.raises(BadRequest) as caught:
        client.update_account(callback_url="foo")
    assert caught.value.error_msg == "Invalid url for callback_url : foo"


def test_api_app_create_get_update_delete(client):
    app = client.create_api_app("My app", ["example.com"], callback_url="https://example.com/a")
    assert isinstance(app, ApiApp) and app.domains == ("example.com",)
    assert client.get_api_app(app.client_id).callback_url == "https://example.com/a"
    updated = client.update_api_app(app.client_id, name="Renamed", callback_url="")
    assert (updated.name, updated.callback_url) == ("Renamed", None)
    assert app.client_id in {a.client_id for a in client.list_api_apps()}
    assert client.delete_api_app(app.client_id) is None
    with pytest.raises(NotFound):
        client.get_api_app(app.client_id)


def test_create_api_app_needs_domains(client):
    with pytest.raises(BadRequest) as caught:
        client.create_api_app("No domains", [])
    assert caught.value.error_path == "domains"


def test_request_reaches_any_endpoint(client):
    assert "account" in client.request("GET", "/account")


def test_last_rate_limit_is_read_from_the_headers(make_emulator):
    emulator = make_emulator(rate_limit=100)
    with Client(base_url=emulator.api_url) as client:
        client.get_account()
        client.get_account()
    assert (client.last_rate_limit.limit, client.last_rate_limit.remaining) == (100, 98)
