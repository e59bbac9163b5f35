# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# [Start here](00-Start-Here.ipynb) · [← 05 · Event timings](05-Event-Timings.ipynb) ·
# [07 · Logs at scale →](07-Logs-at-Scale.ipynb)
#
# # 06 · Going live
#
# **Question:** how does the code of these notebooks, written against the built-in emulator, run
# against the real Dropbox Sign API, and what does it take to receive real callbacks in a kernel?
#
# Two pieces change between the emulator and the real service, and nothing else:
#
# 1. **where requests go**: `hsnb.client.Client` talks to the emulator running in this process, or
#    to `https://api.hellosign.com/v3` when you bring an API key;
# 2. **where callbacks come from**: the emulator POSTs to `127.0.0.1`; the real service POSTs from
#    the internet, so the listener needs a **public URL** (a tunnel, or a deployed host).
#
# This notebook runs top to bottom offline. The cells at the end that need credentials say so and
# skip themselves unless `DROPBOX_SIGN_API_KEY` and `HSNB_PUBLIC_URL` are set.

# %%
import importlib.util
import os
import tempfile
from pathlib import Path

import hsnb
from hsnb.client import Client, Conflict, NotFound, Unauthorized
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.listener import Listener
from hsnb.live import LiveSetupError, connect
from hsnb.recorder import Recorder, load
from hsnb.replay import replay
from hsnb.widgets import SigningPanel

DOCUMENTS = Path(hsnb.__file__).resolve().parents[1] / "data" / "documents"
NDA = DOCUMENTS / "nda-two-signers.pdf"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]

# %% [markdown]
# ## Which API does `Client()` talk to?
#
# `Client()` without arguments looks, in this order, at the `base_url` argument, the
# `HSNB_BASE_URL` (or `DROPBOX_SIGN_BASE_URL`) variable, **an emulator running in this process**,
# and finally the real API. The key follows: the `api_key` argument, the emulator's own key when
# talking to that emulator, else `DROPBOX_SIGN_API_KEY` (or `HSNB_API_KEY`). So once an emulator
# runs, every `Client()` in the kernel uses it, even if your real key is in the environment.

# %%
API_KEY = "demo-api-key"  # the emulator's made-up key: never put a real key in a notebook
listener = Listener(api_keys=API_KEY, name="notebook-06")
emulator = Emulator(
    seed=0,
    api_key=API_KEY,
    callback_url=listener.url,
    start_time=DEFAULT_EPOCH,
    time_scale=0.25,
    processing_delay=2,
    file_prep_delay=1,
)
client = Client()
print("talks to the emulator:", client.is_emulator)
print("uses the emulator's key:", client.has_api_key)

# %% [markdown]
# The key itself never shows: not in the client's repr, not in an error message, not in a log
# line. The repr says only whether one is set.

# %%
text = repr(client)
print(text.split(" base_url=")[0], "...", text.split(" ")[-1])
print("key in the repr:", API_KEY in text)

# %% [markdown]
# ## A signature request, the same call for both services
#
# `create_embedded` takes files as paths, bytes, file objects or URLs, and signers as dicts or
# `(name, email)` pairs. It answers with a small typed object; the full JSON is in `.raw`.
# `test_mode` is on by default in hsnb (not legally binding, free on every plan).

# %%
sr = client.create_embedded(
    [NDA], SIGNERS, use_text_tags=True, title="Mutual NDA", metadata={"case": "42"}
)
print(sr.title, "| test mode:", sr.test_mode, "| metadata:", sr.metadata)
for signature in sr.signatures:
    print(f"  {signature.signer_name:<9} {signature.status_code}")
print("raw keys:", len(sr.raw))

# %% [markdown]
# ## Why not download the files right away?
#
# The 200 only means the request was accepted. The service converts the documents first, and the
# files endpoint answers **409 Conflict** while they are being prepared. Errors are one tree of
# classes (`BadRequest`, `Unauthorized`, `NotFound`, `Conflict`, `Gone`, `RateLimited`, ...), each
# carrying the API's `error_name`, `error_msg` and HTTP status.

# %%
try:
    client.files(sr.signature_request_id)
except Conflict as error:
    print(type(error).__name__, error.status, error.error_name)
    print(error.error_msg)

# %% [markdown]
# You could poll (`client.files(..., wait=True, timeout=60)` retries 409 with a growing pause,
# and gives up with `FilesNotReady`), but the better way is the callback: wait for
# `signature_request_sent` before asking for a sign URL, and for
# `signature_request_downloadable` before downloading.

# %%
sent = listener.wait_for(
    "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=30
)
url = client.sign_url(sr.signatures[0].signature_id)
print(sent.event_type, "-> sign URL path:", url.sign_url.split("?")[0].split("/", 3)[3])

# %% [markdown]
# The emulator's sign page works in a plain iFrame, so Jack signs right here: **click Sign**
# (running all cells, the next cell signs for him). A real sign URL does not open this way: see
# "Embedded sign URLs on the real service" below.

# %%
jack = SigningPanel(url.sign_url, listener, signer="Jack Doe")
jack

# %%
jack.sign_unless_clicked(emulator)  # Jack, unless you clicked
emulator.sign(sr.signatures[1].signature_id)  # Jill, played by the emulator
ready = listener.wait_for(
    "signature_request_downloadable", signature_request_id=sr.signature_request_id, timeout=30
)
pdf = client.files(sr.signature_request_id)
complete = client.get(sr.signature_request_id).is_complete
print(ready.event_type, "-> files:", pdf[:5], "| complete:", complete)

# %% [markdown]
# ## Errors you will meet, by name
#
# Each class mixes in the built-in exception with the same meaning (`NotFound` is a
# `LookupError`, `Unauthorized` a `PermissionError`, `BadRequest` a `ValueError`), so you can catch
# by meaning. A wrong key is a 401, and the message does not repeat the key.

# %%
try:
    client.get("0" * 40)
except NotFound as error:
    print(error)
    print("a LookupError too:", isinstance(error, LookupError))

with Client(api_key="not-my-key", base_url=emulator.api_url) as stranger:
    try:
        stranger.get_account()
    except Unauthorized as error:
        print(error)

# %% [markdown]
# `client.list()` walks every page of `GET /signature_request/list` lazily, and every answer's
# rate-limit headers land in `client.last_rate_limit` (the real API allows 100 calls a minute,
# 10 a minute for test-mode requests; `Client(rate_limit_retries=1)` waits out a 429 until the
# reset time).

# %%
print([request.title for request in client.list(page_size=1)])
print("limit per minute:", client.last_rate_limit.limit)

# %% [markdown]
# ## Going live: what you need
#
# * **An API key** (Dropbox Sign: Settings > API), in `DROPBOX_SIGN_API_KEY`. Never in a cell.
# * **An API app's `client_id`** for embedded signing, in `DROPBOX_SIGN_CLIENT_ID`.
# * **A public URL** that forwards to this kernel's listener: `ngrok http 8765`,
#   `cloudflared tunnel --url http://127.0.0.1:8765`, or a deployed host; in `HSNB_PUBLIC_URL`.
#   Dropbox Sign refuses `localhost` callback URLs and, since December 2024, sends signature
#   request events only to HTTPS ones. With `pip install 'hsnb[tunnel]'`,
#   `connect(tunnel=True)` opens an ngrok tunnel itself.
#
# A kernel sees the environment JupyterLab was started with, so set them **before** starting
# it, in the shell (a variable exported later, or in a terminal inside JupyterLab, does not
# reach a running kernel):
#
# ```sh
# ngrok http 8765                 # in another terminal; note its https://... forwarding URL
# export DROPBOX_SIGN_API_KEY=... # your key: typed here, never in a notebook
# export DROPBOX_SIGN_CLIENT_ID=...
# export HSNB_PUBLIC_URL=https://<your-tunnel>.ngrok-free.app
# export HSNB_LISTEN_PORT=8765    # the port the tunnel forwards to (8765 is the default)
# make lab                        # JupyterLab, started with these variables
# ```
#
# The path a real callback takes, and the way back:
#
# ```mermaid
# flowchart LR
#     NB["this notebook<br/>hsnb.Client"]
#     DS["Dropbox Sign<br/>api.hellosign.com"]
#     T["your public URL<br/>HSNB_PUBLIC_URL<br/>(ngrok, cloudflared)"]
#     L["hsnb Listener<br/>in this kernel"]
#     NB -- "API calls, HTTPS, your key" --> DS
#     DS -- "POST callback, HTTPS" --> T
#     T -- "tunnel to 127.0.0.1:8765" --> L
#     L -. "200 Hello API Event Received" .-> DS
# ```
#
# `hsnb.live.connect()` wires a client, a listener and the public URL together, registers the URL
# as the account's (or an app's) callback URL, and says plainly what is missing:

# %%
for attempt in (
    {"api_key": ""},
    {"api_key": "my-key"},
    {"api_key": "my-key", "public_url": "http://localhost:8765"},
):
    try:
        connect(env={}, **attempt)
    except LiveSetupError as error:
        print("-", error, end="\n\n")

# %%
if importlib.util.find_spec("pyngrok") is None:
    try:
        connect(api_key="my-key", tunnel=True, env={})
    except LiveSetupError as error:
        print(error)
else:
    print("pyngrok is installed: connect(tunnel=True) can open an ngrok tunnel")

# %% [markdown]
# ## A rehearsal against the emulator
#
# The same call, pointed at the emulator, with this notebook's listener standing in for "the
# listener behind the tunnel". `check()` proves the path end to end. The real API has no endpoint
# that fires the dashboard's `callback_test`, so `check()` sends a `callback_test` signed with
# your key to the public URL itself and waits for it at the listener: if it arrives, the tunnel
# forwards to this kernel and the listener verifies your key. (Against the emulator it also
# presses the emulator's "Test" button.) Closing the session puts the old callback URL back.

# %%
with connect(
    api_key=API_KEY,
    base_url=emulator.api_url,
    public_url=listener.url,
    listener=listener,
    allow_localhost=True,  # allow_localhost: rehearsals only
) as rehearsal:
    result = rehearsal.check()
    print(result.explain())
print("callback URL restored:", emulator.callback_url == listener.url)

# %% [markdown]
# ## Recording a session, and replaying it against the emulator
#
# A `Recorder` writes every request, answer and callback as JSON lines, with the API key
# replaced by `<redacted>` and real e-mail addresses by stand-ins. `replay()` sends a recording's
# requests to an emulator and compares statuses and the *shapes* of the answers (keys and types,
# not ids or times). Record a session with the real API (`connect(record="my-session")`, see
# `data/recorded/README.md`), and every way the emulator differs from the real service becomes a
# failing test.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "demo.jsonl"
    with Recorder(path, source="emulator") as recorder:
        recorder.attach(client).attach_listener(listener)
        demo = client.create_embedded([NDA], SIGNERS, use_text_tags=True, title="Recorded")
        listener.wait_for(
            "signature_request_sent", signature_request_id=demo.signature_request_id, timeout=30
        )
        client.get(demo.signature_request_id)
    client.remove_observer(recorder.record_exchange)
    header, lines = load(path)
    for line in lines:
        print(f"  {line['kind']:<8}", line.get("method") or line["event_type"], line["status"])
    print("key in the recording:", API_KEY in path.read_text())
    with Emulator(seed=1, name="replay-06", start_time=DEFAULT_EPOCH, time_scale=0.01) as fresh:
        print(replay(path, fresh).explain())

# %% [markdown]
# ## Embedded sign URLs on the real service
#
# The emulator's sign URL opens anywhere, in a tab or in this notebook's iFrame. A real one is
# made for Dropbox Sign's client library, and opening it like that is not the documented way:
#
# * The [embedded signing walkthrough](https://developers.hellosign.com/docs/embedded-signing/walkthrough/)
#   opens a `sign_url` with the [`hellosign-embedded`](https://github.com/hellosign/hellosign-embedded)
#   library: `new HelloSign({clientId}).open(signUrl)`. Its source adds the app's `client_id`,
#   the page's address (`parent_url`) and `skip_domain_verification` to the URL, and answers the
#   signing page's domain-verification request by `postMessage`. A bare tab or iFrame (like the
#   panels in these notebooks) does neither.
# * The iFrame opens only on the API app's domain and its subdomains; with `test_mode` requests,
#   `skipDomainVerification: true` lifts that (same walkthrough). The help centre adds that on a
#   domain that does not match the `client_id` "the page won't load", and that sign links are
#   valid for 60 minutes and expire as soon as they are accessed
#   ([embedded signing](https://help.dropbox.com/integrations/embedded-signing-sequence-diagram)).
# * What a real sign URL shows when opened bare, we could not check (no real account here):
#   expect an error page, not the document.
#
# So to sign a real embedded request, open its URL with `hellosign-embedded` on a page of your
# app's domain (or any page, for a test-mode request, with `skipDomainVerification: true`), or
# paste URL and `client_id` into Dropbox Sign's
# [Embedded Testing Tool](https://developer.hellosign.com/docs/additional-resources/embedded-testing-tool).
# For a signer who should just get an e-mail, use `client.send(...)` instead of `create_embedded`.
#
# ## Live, for real
#
# These cells run only when `DROPBOX_SIGN_API_KEY` and `HSNB_PUBLIC_URL` are set, the public URL
# forwarding to port `HSNB_LISTEN_PORT` (default 8765) on this machine. They use test mode.
#
# Real callbacks are acknowledged only once they are in a file: `connect()` starts its listener
# on `hsnb-events.sqlite` in this folder (`store=` chooses another). Dropbox Sign never resends
# an event it saw acknowledged, so an in-memory store would lose callbacks on a kernel restart;
# `connect()` refuses a listener that keeps events in memory (except against a local emulator,
# as in the rehearsal above). After a restart, run the cell again: the same file is reopened.

# %%
PUBLIC_URL = os.environ.get("HSNB_PUBLIC_URL")
live = None
if os.environ.get("DROPBOX_SIGN_API_KEY") and PUBLIC_URL:
    port = int(os.environ.get("HSNB_LISTEN_PORT", "8765"))
    live = connect(public_url=PUBLIC_URL, port=port)  # events kept in hsnb-events.sqlite
    print(live.check().explain())
else:
    print("Skipped: set DROPBOX_SIGN_API_KEY and HSNB_PUBLIC_URL to go live.")

# %%
if live is not None and os.environ.get("DROPBOX_SIGN_CLIENT_ID"):
    real = live.client.create_embedded([NDA], SIGNERS, use_text_tags=True, title="hsnb live test")
    live.wait_for(
        "signature_request_sent", signature_request_id=real.signature_request_id, timeout=300
    )
    signing = live.client.sign_url(real.signatures[0].signature_id).sign_url
    print("Jack Doe's sign URL (once, within the hour), for hellosign-embedded or the")
    print("Embedded Testing Tool with your client_id (a plain tab will not show the document):")
    print(signing)
else:
    print("Skipped: needs the live session above and DROPBOX_SIGN_CLIENT_ID.")

# %%
if live is not None:
    live.close()  # puts the account's previous callback URL back
client.close()
emulator.stop()
listener.stop()

# %% [markdown]
# Next: [07 · Logs at scale](07-Logs-at-Scale.ipynb), the same analysis on a log of millions of
# events (Parquet, DuckDB, a Dask cluster). Or back to the [start page](00-Start-Here.ipynb).
