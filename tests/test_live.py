"""Going live, offline: the public URL is a listener on 127.0.0.1, the API an emulator."""

from __future__ import annotations

import socket
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from hsnb.emulator import Emulator
from hsnb.listener import Listener
from hsnb.live import (
    LiveSetupError,
    callback_url_for,
    connect,
    public_url_problem,
)
from hsnb.recorder import load
from tests.conftest import FAST, KEY

WAIT = 10.0


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    """A fast emulator with :data:`KEY` and an account callback URL to restore later."""
    settings = {**FAST, "name": "live-tests", "api_key": KEY}
    with Emulator(**settings, callback_url="https://example.com/previous") as running:
        yield running


@pytest.fixture
def public() -> Iterator[Listener]:
    """The listener standing in for "this kernel's listener behind a tunnel"."""
    with Listener(api_keys=KEY, name="live-public") as running:
        yield running


def go_live(live_emulator: Emulator, listener: Listener, **kwargs: Any):
    kwargs.setdefault("public_url", listener.url)
    return connect(
        api_key=KEY,
        base_url=live_emulator.api_url,
        listener=listener,
        allow_localhost=True,
        **kwargs,
    )


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/callback"


# -- plain-language failures --------------------------------------------------------------------


def test_no_api_key():
    with pytest.raises(LiveSetupError) as caught:
        connect(public_url="https://hooks.example.com", env={})
    assert str(caught.value) == (
        "No API key: set DROPBOX_SIGN_API_KEY (Dropbox Sign: Settings > API > API key) "
        "or pass api_key=..."
    )


def test_no_public_url():
    with pytest.raises(LiveSetupError) as caught:
        connect(env={"DROPBOX_SIGN_API_KEY": KEY})
    message = str(caught.value)
    assert message.startswith("No public callback URL: Dropbox Sign must reach")
    assert "HSNB_PUBLIC_URL" in message and "tunnel=True" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8888/callback",
        "http://127.0.0.1:5000",
        "http://[::1]:80/",
        "http://192.168.1.20/cb",
        "http://10.0.0.5",
        "http://my-laptop.local/cb",
        "http://0.0.0.0:9000",
    ],
)
def test_local_urls_are_refused(url):
    with pytest.raises(LiveSetupError) as caught:
        connect(api_key=KEY, public_url=url, env={})
    assert str(caught.value).startswith("Dropbox Sign refuses localhost callback URLs")
    assert "hsnb[tunnel]" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["https://abc123.ngrok-free.app", "https://hooks.example.com/dbs", "https://8.8.8.8/"]
)
def test_public_urls_are_accepted(url):
    assert public_url_problem(url) is None


def test_a_url_without_a_scheme_is_refused():
    assert public_url_problem("hooks.example.com") == (
        "'hooks.example.com' is not an http(s) URL with a host name"
    )


def test_callback_url_gets_the_listener_path_when_none_is_given():
    assert callback_url_for("https://abc.ngrok.app") == "https://abc.ngrok.app/callback"
    assert callback_url_for("https://abc.ngrok.app/") == "https://abc.ngrok.app/callback"
    assert callback_url_for("https://host.example/hooks/dbs") == "https://host.example/hooks/dbs"


def test_tunnel_without_pyngrok(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyngrok", None)
    with pytest.raises(LiveSetupError) as caught:
        connect(api_key=KEY, tunnel=True, env={})
    assert str(caught.value) == (
        "pyngrok is not installed: pip install 'hsnb[tunnel]' (or give public_url=...)"
    )


def test_a_rejected_key_is_explained_without_showing_it(live_emulator, public):
    with pytest.raises(LiveSetupError) as caught:
        connect(
            api_key="wrong-" + KEY[::-1],
            base_url=live_emulator.api_url,
            public_url=public.url,
            listener=public,
            allow_localhost=True,
        )
    message = str(caught.value)
    assert message.startswith("Could not set the callback URL on the account: 401 unauthorized")
    assert KEY[::-1] not in message
    assert live_emulator.callback_url == "https://example.com/previous"


def test_key_and_public_url_from_the_environment(live_emulator, public):
    env = {"DROPBOX_SIGN_API_KEY": KEY, "HSNB_PUBLIC_URL": public.url}
    with connect(
        base_url=live_emulator.api_url, listener=public, allow_localhost=True, env=env
    ) as s:
        assert s.callback_url == public.url
        assert live_emulator.callback_url == public.url


# -- registering and checking -------------------------------------------------------------------


def test_registers_the_account_callback_and_restores_the_old_one(live_emulator, public):
    with go_live(live_emulator, public) as session:
        assert session.registered and session.target == "account"
        assert session.previous_callback_url == "https://example.com/previous"
        assert live_emulator.callback_url == public.url
    assert live_emulator.callback_url == "https://example.com/previous"


def test_check_proves_the_path_end_to_end(live_emulator, public):
    with go_live(live_emulator, public) as session:
        result = session.check(timeout=WAIT)
    assert result.ok, result.explain()
    assert result.explain() == (
        "OK: callback URL registered: on the account\n"
        "OK: public URL answers: HTTP 200 with the ACK text\n"
        "OK: reaches this listener: the signed callback_test arrived and verified\n"
        "OK: dashboard Test button: the emulator's callback_test"
    )
    assert len(public.store.stored_events("callback_test")) == 2


def test_registers_an_app_callback(live_emulator, public):
    with go_live(live_emulator, public, app=True) as session:
        assert session.target == live_emulator.client_id
        assert live_emulator.app_callback_url == public.url
        assert live_emulator.callback_url == "https://example.com/previous"
        result = session.check(timeout=WAIT)
        assert result.ok, result.explain()
        assert result.steps[0].detail == "on the API app"
    assert live_emulator.app_callback_url is None


def test_app_true_needs_a_client_id(live_emulator, public, monkeypatch):
    for name in ("DROPBOX_SIGN_CLIENT_ID", "HSNB_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LiveSetupError, match="no API app is known"):
        connect(
            api_key=KEY,
            base_url="http://127.0.0.1:1/v3",
            public_url=public.url,
            listener=public,
            allow_localhost=True,
            app=True,
        )


def test_check_sees_a_url_that_does_not_reach_this_listener(live_emulator, public):
    with Listener(api_keys=KEY, name="live-elsewhere") as elsewhere:
        with go_live(live_emulator, elsewhere, public_url=public.url) as session:
            result = session.check(timeout=1.0)
    assert not result.ok
    failed = [step.name for step in result.steps if not step.ok]
    assert failed == ["reaches this listener"]
    assert "does the URL forward to the listener" in result.explain()


def test_check_sees_a_url_that_does_not_answer(live_emulator, public):
    with go_live(live_emulator, public, public_url=closed_port_url(), register=False) as session:
        result = session.check(timeout=1.0)
    assert [step.ok for step in result.steps] == [False, False, False]
    assert "FAILED: public URL answers: FAILED: ConnectionError" in result.explain()


def test_connect_with_check_raises_when_the_check_fails(live_emulator, public):
    with pytest.raises(LiveSetupError) as caught:
        go_live(live_emulator, public, public_url=closed_port_url(), check=True)
    assert str(caught.value).startswith("The callback check failed:\nOK: callback URL registered")
    assert live_emulator.callback_url == "https://example.com/previous"


def test_connect_with_check_returns_a_working_session(live_emulator, public):
    with go_live(live_emulator, public, check=True) as session:
        assert session.registered


def test_events_flow_to_the_listener_through_the_public_url(live_emulator, public):
    with go_live(live_emulator, public) as session:
        sr = session.client.create_embedded(
            [b"%PDF-1.4\n"], [("Jack", "jack@example.com")], use_text_tags=False
        )
        event = session.wait_for(
            "file_error", signature_request_id=sr.signature_request_id, timeout=WAIT
        )
    assert event.signature_request_id == sr.signature_request_id


def test_connect_starts_and_stops_its_own_listener(live_emulator, public, tmp_path):
    session = connect(
        api_key=KEY,
        base_url=live_emulator.api_url,
        public_url=public.url,
        allow_localhost=True,
        register=False,
        store=tmp_path / "events.sqlite",
    )
    assert session.listener.running and session.listener is not public
    session.close()
    assert not session.listener.running


def test_a_session_repr_shows_no_key(live_emulator, public):
    with go_live(live_emulator, public) as session:
        assert repr(session) == "<LiveSession target='account' registered>"
        assert KEY not in repr(vars(session))


def test_record_writes_the_session_with_the_key_redacted(live_emulator, public, tmp_path):
    path = tmp_path / "live.jsonl"
    with go_live(live_emulator, public, record=str(path)) as session:
        session.check(timeout=WAIT)
    header, lines = load(path)
    assert header["source"] == "live"
    kinds = [(x["kind"], x.get("path") or x.get("event_type")) for x in lines]
    assert kinds[:2] == [("request", "/account"), ("request", "/account")]
    assert ("callback", "callback_test") in kinds
    assert KEY not in path.read_text()


# -- tunnels ------------------------------------------------------------------------------------


class FakeNgrok:
    """Stands in for ``pyngrok.ngrok``: "opens" a tunnel whose public URL is a local listener."""

    def __init__(self, public_url: str | None, error: Exception | None = None) -> None:
        self.public_url = public_url
        self.error = error
        self.connected: list[tuple[int, str]] = []
        self.disconnected: list[str] = []

    def connect(self, port: int, proto: str) -> Any:
        if self.error:
            raise self.error
        self.connected.append((port, proto))
        return types.SimpleNamespace(public_url=self.public_url)

    def disconnect(self, url: str) -> None:
        self.disconnected.append(url)


def install(monkeypatch, fake: FakeNgrok) -> None:
    package = types.ModuleType("pyngrok")
    package.ngrok = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyngrok", package)
    monkeypatch.setitem(sys.modules, "pyngrok.ngrok", fake)  # type: ignore[arg-type]


def test_tunnel_is_opened_to_the_listener_port_and_closed(live_emulator, public, monkeypatch):
    fake = FakeNgrok(public.url.removesuffix("/callback"))
    install(monkeypatch, fake)
    session = connect(
        api_key=KEY,
        base_url=live_emulator.api_url,
        listener=public,
        tunnel=True,
        allow_localhost=True,
        env={},
    )
    assert fake.connected == [(public.port, "http")]
    assert session.callback_url == public.url
    assert session.check(timeout=WAIT).ok
    session.close()
    assert fake.disconnected == [public.url.removesuffix("/callback")]


def test_a_tunnel_that_cannot_open_is_explained(live_emulator, monkeypatch, tmp_path):
    install(monkeypatch, FakeNgrok(None, error=RuntimeError("authentication failed")))
    with pytest.raises(LiveSetupError) as caught:
        connect(
            api_key=KEY,
            base_url=live_emulator.api_url,
            tunnel=True,
            env={},
            store=tmp_path / "events.sqlite",
        )
    assert str(caught.value).startswith(
        "ngrok could not open a tunnel (RuntimeError: authentication failed); set an authtoken"
    )


def test_going_live_never_picks_the_emulator_by_itself(live_emulator, public, tmp_path):
    durable = Listener(tmp_path / "events.sqlite", api_keys=KEY, name="live-durable")
    session = connect(
        api_key=KEY,
        public_url=durable.url,
        listener=durable,
        allow_localhost=True,
        register=False,
        env={},
    )
    assert session.client.base_url == "https://api.hellosign.com/v3"
    session.close()
    durable.stop()
    env = {"HSNB_BASE_URL": live_emulator.api_url}
    with connect(
        api_key=KEY, public_url=public.url, listener=public, allow_localhost=True, env=env
    ) as session:
        assert session.client.base_url == live_emulator.api_url
