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
# # 03 · Answering callbacks correctly
#
# **Question:** what must your callback URL do so that Dropbox Sign counts an event as
# delivered, and what happens when it does not?
#
# Dropbox Sign POSTs each event as `multipart/form-data` with one field named `json`. A
# delivery counts only when your server answers **HTTP 200** with a body containing
# **`Hello API Event Received`** within 30 seconds; anything else is retried later (5 min,
# 15 min, 45 min, ... up to six times). So a correct handler:
#
# 1. reads the `json` field, parses it, and checks `event_hash` against your API key;
# 2. stores the event durably, *then* answers `200 Hello API Event Received`;
# 3. expects the same event more than once (retries) and stores it only once.
#
# hsnb's `Listener` does exactly that, in a background thread of this kernel, so it keeps
# answering even while a cell is busy.

# %%
import subprocess
import sys
import time

from hsnb.listener import Listener

API_KEY = "demo-api-key"  # made up, as every key in a notebook should be
listener = Listener(api_keys=API_KEY, name="notebook-03")
listener.running

# %% [markdown]
# A live view of what arrives: in JupyterLab this table fills in as callbacks come in (the
# text below is its plain summary, as it was when the cell ran).

# %%
from hsnb.widgets import LiveEvents

live = LiveEvents(listener, max_rows=8)
live

# %% [markdown]
# ## Callbacks arrive while a cell is busy
#
# A second process plays Dropbox Sign: it runs `hsnb trigger`, which sends a realistic,
# correctly signed callback the way the real service does, and reports whether the receiver
# answered right. We start six of them and then keep this cell busy with `time.sleep`. A
# server running on the kernel's own event loop would stall here; the listener does not.

# %%
REQUEST_ID = "fa5c8a0b0f492d768749333ad6fcc214c111e967"
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
life = [
    ("signature_request_sent", 0),
    ("signature_request_viewed", 60),
    ("signature_request_signed", 120),
    ("signature_request_signed", 120),  # the same delivery again: a retry
    ("signature_request_all_signed", 121),
    ("signature_request_downloadable", 135),
]


def trigger(event_type, *options):
    """Run `hsnb trigger` in another process, as Dropbox Sign would call us."""
    command = [sys.executable, "-m", "hsnb.cli", "trigger", event_type, *options]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


senders = [
    trigger(
        event_type,
        "--url",
        listener.url,
        "--api-key",
        API_KEY,
        "--seed",
        "3",
        "--signature-request-id",
        REQUEST_ID,
        "--event-time",
        str(T0 + offset),
    )
    for event_type, offset in life
]
time.sleep(3)  # this cell is busy; the callbacks are answered anyway
for sender in senders:
    output, _ = sender.communicate(timeout=60)
    event_type, verdict = output.split(" -> ")[0], output.split(": ", 1)[1]
    print(event_type.ljust(32), verdict.rsplit(" in ", 1)[0])

# %%
live  # the same view now: six deliveries, one of them a duplicate

# %% [markdown]
# Every sender was answered `200 Hello API Event Received`, including the retry. The events
# table has one row per *logical* event: the retried `signature_request_signed` is stored
# once, and its `deliveries` column says it came twice.

# %%
events = listener.events().sort_values(["event_time", "event_type"], ignore_index=True)
assert events["event_type"].value_counts().max() == 1, "each event must appear once"
events[["event_time", "event_type", "signer_name", "deliveries", "verified"]]

# %% [markdown]
# Dropbox Sign sends no event id, and `event_hash` is the same for every event of one type in
# one second, so hsnb identifies a logical event by (type, time, signature request, related
# signature, reported-for account and app). Every HTTP request is still kept, with its
# verdict:

# %%
listener.deliveries()["verdict"].value_counts().loc[["accepted", "duplicate", "rejected"]]

# %% [markdown]
# ## Wait for an event instead of polling
#
# `wait_for` blocks the cell until the event has arrived (at once if it already has) and
# returns it; it raises `TimeoutError`, saying what did arrive, if it does not come in time.

# %%
done = listener.wait_for(
    "signature_request_all_signed", signature_request_id=REQUEST_ID, timeout=10
)
done.event_type, done.signature_request["is_complete"], done.callback_type

# %%
try:
    declined = "signature_request_declined"
    listener.wait_for(declined, signature_request_id=REQUEST_ID, timeout=1)
except TimeoutError as exc:
    print(exc)

# %% [markdown]
# ## What gets refused
#
# A forged or malformed callback must never get the acknowledgement text. Here are a
# callback signed with the wrong key, a `GET`, and a body that is not a callback:

# %%
import requests

forged = trigger(
    "signature_request_all_signed",
    "--url",
    listener.url,
    "--api-key",
    "not-the-key",
    "--seed",
    "3",
    "--event-time",
    str(T0),
)
print(forged.communicate(timeout=60)[0].split(": ", 1)[1].strip())
print(requests.get(listener.url, timeout=5).status_code)
print(requests.post(listener.url, data={"json": "{not json"}, timeout=5).status_code)
rejected = listener.deliveries().query("verdict == 'rejected'")
rejected[["status", "reason"]].reset_index(drop=True)

# %% [markdown]
# ## What `event_hash` proves, and what it does not
#
# Dropbox Sign signs only two fields: `event_hash = HMAC-SHA256(key=API key, msg=event_time +
# event_type)`. A matching hash proves that *someone with your key* made an event of that type
# at that second. It does **not** cover the body: not the signature request, not the signer,
# not the metadata. So whoever has seen one callback (its time, type and hash) can send a
# different body under the same hash, and it verifies. Here is the `all_signed` event above,
# replayed with another signature request inside:

# %%
import json

from hsnb.payloads import encode_callback_multipart
from hsnb.trigger import sample_payload

genuine = sample_payload(
    "signature_request_all_signed",
    API_KEY,
    event_time=T0 + 121,
    seed=3,
    signature_request_id=REQUEST_ID,
)
altered = json.loads(json.dumps(genuine))
altered["signature_request"]["signature_request_id"] = "0" * 40  # same time, type and hash
body, content_type = encode_callback_multipart(altered)
answer = requests.post(listener.url, data=body, headers={"Content-Type": content_type}, timeout=5)
print(answer.status_code, answer.text)
listener.deliveries()[["event_type", "verdict", "verified_by"]].tail(2)

# %% [markdown]
# It was acknowledged and stored as a *new*, verified event, because its identity (type, time,
# request id, ...) is new. `verified_by` names the key that matched by a fingerprint, never the
# key itself. What follows from the hash's design:
#
# * treat a verified body as "sent by someone who knows the key or saw a callback", and fetch
#   the signature request from the API (`Client.get`) before acting on money or signatures;
# * keep the URL secret (a path nobody guesses), and HTTPS only;
# * a freshness window (`Listener(tolerance=300)`, `hsnb listen --tolerance 300`) limits replays
#   of old hashes, but real retries keep their original `event_time` and arrive up to about 30
#   hours later, so a window shorter than that refuses genuine retries; it is off by default.

# %% [markdown]
# ## Testing your own handler
#
# The commonest mistake is answering something else: `OK`, an empty 200, a JSON body, a
# redirect. Dropbox Sign then retries every event for hours and finally disables the
# callback. `hsnb trigger` tests any URL the way Dropbox Sign would. Here is a handler that
# answers `200 OK`:

# %%
import tornado.web

from hsnb.runtime import background_loop


class PoliteButWrong(tornado.web.RequestHandler):
    def post(self):
        self.write("OK")


async def serve_wrong_handler():
    server = tornado.web.Application([(r"/.*", PoliteButWrong)]).listen(0, "127.0.0.1")
    return server, next(iter(server._sockets.values())).getsockname()[1]


wrong_server, port = background_loop().run(serve_wrong_handler())
wrong_url = f"http://127.0.0.1:{port}/hook"
check = trigger("callback_test", "--url", wrong_url, "--api-key", API_KEY)
output, _ = check.communicate(timeout=60)
background_loop().call(wrong_server.stop)
print("exit code", check.returncode)
print(output.split(": ", 1)[1].strip())

# %% [markdown]
# The fix is one line: answer `Hello API Event Received` (after storing the event). From a
# shell, the same check reads:
#
# ```
# hsnb trigger callback_test --url https://your.host/dropbox-sign/callback \
#     --api-key $DROPBOX_SIGN_API_KEY
# ```
#
# Stop the listener when done; its events stay readable.

# %%
live.close()
listener.stop()
len(listener.events()), listener.running
