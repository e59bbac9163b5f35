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
# [Start here](00-Start-Here.ipynb) · [← 02 · Sent or file_error](02-Sent-vs-File-Error.ipynb) ·
# [04 · Fetching the signed document →](04-Fetching-the-Signed-Document.ipynb)
#
# # 03 · Answering callbacks correctly
#
# **Question:** what must your callback URL answer so that Dropbox Sign counts an event as
# delivered, and what happens when it does not?
#
# Dropbox Sign POSTs each event as `multipart/form-data` with one field named `json`. An attempt
# counts only if your server answers **within 30 seconds** with **HTTP 200** and the body
# **`Hello API Event Received`** (send exactly that). Anything else (another status, another
# body, no answer in time) is retried 5 minutes later, then 15, 45, ... six retries over about
# 30 hours ([events overview](https://developers.hellosign.com/docs/events/overview/)). So a
# correct handler:
#
# 1. reads the `json` field and checks its `event_hash` against your API key;
# 2. stores the event durably, *then* answers `200 Hello API Event Received`, and does slow work
#    only after answering;
# 3. expects the same event more than once, and stores it once;
# 4. trusts the body no further than the hash goes, which is not far (section 3).
#
# hsnb's `Listener` does all of that on a background thread of this kernel. This notebook makes
# each rule happen, against hsnb's emulator of the Dropbox Sign API and callbacks sent from this
# kernel, and ends with a handler of your own.

# %%
import asyncio
import copy
import hashlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor

import matplotlib.pyplot as plt
import tornado.web

import hsnb
from hsnb.client import Client
from hsnb.durations import readable
from hsnb.emulator import DEFAULT_EPOCH
from hsnb.payloads import encode_callback_multipart
from hsnb.plots import plot_attempts
from hsnb.runtime import serve_app
from hsnb.trigger import sample_payload, send_callback
from hsnb.widgets import LiveEvents

API_KEY = "demo-api-key"  # made up, as every key in a notebook should be
listener = hsnb.Listener(api_keys=API_KEY, name="notebook-03")
emulator = hsnb.Emulator(
    seed=3,
    api_key=API_KEY,
    callback_url=listener.url,  # the account's callback URL
    app_callback_url=listener.url,  # the API app's callback URL (section 2)
    name="notebook-03",
    start_time=DEFAULT_EPOCH,  # 2026-01-01 00:00:00 UTC, so event times repeat
    time_scale=None,  # a clock moved by hand: 30 hours of retries take a moment
    processing_delay=5,
)
client = Client(base_url=emulator.api_url)
live = LiveEvents(listener, max_rows=8)
live

# %% [markdown]
# That table is live: every request that reaches the listener appears on top, also after this
# notebook has run. Scroll back to it whenever a cell sends something.
#
# ## 1 · A raw callback, and its hash by hand
#
# `sample_payload` builds a realistic callback, signed with our key (the emulator signs its own
# with the same code); `encode_callback_multipart` gives the body exactly as it goes on the wire:

# %%
REQUEST_ID = "fa5c8a0b0f492d768749333ad6fcc214c111e967"
T0 = 1_767_225_600  # 2026-01-01 00:00:00 UTC
payload = sample_payload(
    "signature_request_sent", API_KEY, event_time=T0, seed=3, signature_request_id=REQUEST_ID
)
body, content_type = encode_callback_multipart(payload, boundary="-" * 24 + "hsnb03")
print(content_type)
print(body.decode()[:250], "...")

# %% [markdown]
# The whole event is JSON in that one field. Its `event` part:

# %%
event = payload["event"]
event

# %% [markdown]
# `event_hash` is the HMAC-SHA256 of `event_time` followed by `event_type`, keyed with your API
# key, in lowercase hex. Check it yourself with the standard library, comparing in constant time
# (`hmac.compare_digest`, not `==`):

# %%
message = (event["event_time"] + event["event_type"]).encode()
by_hand = hmac.new(API_KEY.encode(), message, hashlib.sha256).hexdigest()
print("by hand:   ", by_hand)
print("event_hash:", event["event_hash"])
print("match:", hmac.compare_digest(by_hand, event["event_hash"]))
same = hsnb.compute_event_hash(API_KEY, event["event_time"], event["event_type"])
print("hsnb.compute_event_hash agrees:", same == by_hand)

# %% [markdown]
# The listener does this for every callback and records the result as `verified`.
#
# ## 2 · Answer while busy, once per event
#
# Senders do not wait for your notebook. Here six callbacks of one request's life are POSTed
# from other threads (as Dropbox Sign would, over the network) while this cell sleeps; one of
# them twice, as a retry would. The listener answers all of them meanwhile:

# %%
life = [
    ("signature_request_sent", 0),
    ("signature_request_viewed", 60),
    ("signature_request_signed", 120),
    ("signature_request_signed", 120),  # the same delivery again: a retry
    ("signature_request_all_signed", 121),
    ("signature_request_downloadable", 135),
]


def verdict(result):
    """What Dropbox Sign would make of an answer (no port, no timing: the same every run)."""
    if result.acknowledged:
        return f"acknowledged ({result.status} {result.body_excerpt!r})"
    if result.error:
        why = "no answer in time" if result.outcome == "timeout" else "no answer"
        return f"NOT acknowledged: {why}"
    return f"NOT acknowledged: {result.status} {result.body_excerpt[:40]!r}"


def callback(event_type, offset, key=API_KEY):
    return sample_payload(
        event_type, key, event_time=T0 + offset, seed=3, signature_request_id=REQUEST_ID
    )


with ThreadPoolExecutor(max_workers=6) as pool:
    sent = [pool.submit(send_callback, listener.url, callback(*step)) for step in life]
    time.sleep(1)  # this cell is busy; the callbacks are answered anyway
for (event_type, _), future in zip(life, sent, strict=True):
    print(f"{event_type:<32} {verdict(future.result())}")

# %% [markdown]
# Six deliveries, six acknowledgements, but five events: `events()` has one row per *logical*
# event, and its `deliveries` column says the `signed` one came twice. Dropbox Sign sends no
# event id, so hsnb identifies an event by its type, time, request, signer and the account or
# app it is reported for.

# %%
events = listener.events().sort_values(["event_time", "event_type"], ignore_index=True)
assert events["event_type"].value_counts().max() == 1, "each event must appear once"
events[["event_time", "event_type", "signer_name", "deliveries", "verified"]]

# %% [markdown]
# ### Account callbacks and app callbacks
#
# Dropbox Sign has two kinds of callback URL. The **account callback** (your account's API
# settings) receives the events of every request of the account. The **app callback** (one per
# API app) receives the events of the requests made with that app's `client_id`, and every
# embedded request needs one. So one event of an embedded request can reach you twice, as two
# separate POSTs, told apart by `event_metadata.reported_for_app_id` (hsnb's `callback_type`).
# Official texts disagree on whether an app callback replaces the account one
# ([callbacks overview](https://developers.hellosign.com/docs/events/overview/)); the emulator
# sends both, so handle both.
#
# This emulator has both URLs pointing at our listener. One embedded request, and its
# `signature_request_sent`:

# %%
nda = client.create_embedded(
    "../data/documents/nda-two-signers.pdf",
    [("Alice Example", "alice@example.com"), ("Bob Example", "bob@example.com")],
    use_text_tags=True,
    title="NDA",
)
emulator.advance(5)  # processing takes 5 s on the emulator's clock
emulator.wait_idle()
mine = listener.events().query("signature_request_id == @nda.signature_request_id")
mine = mine.sort_values("callback_type", ignore_index=True)
mine[["event_type", "callback_type", "reported_for_app_id", "verified"]]

# %% [markdown]
# Two events: answer both with the acknowledgement; act on one (for example only on the app
# callbacks of the app you built).
#
# ## 3 · What `verified` does not cover
#
# The hash covers `event_time` and `event_type`, nothing else: not the request id, not the
# signers, not `is_complete`. Anyone who once saw a genuine callback (in a log, through a proxy)
# can reuse its `event_time` and `event_hash` with any body. Here is a body that says the NDA
# above is completely signed, carrying the hash of the genuine `signature_request_all_signed` of
# section 2 (another request):

# %%
genuine = callback("signature_request_all_signed", 121)
forged = copy.deepcopy(genuine)  # event_time, event_type and event_hash untouched
forged["signature_request"]["signature_request_id"] = nda.signature_request_id
forged["signature_request"]["title"] = "NDA"
print("answer:", verdict(send_callback(listener.url, forged)))
lie = listener.events().query("signature_request_id == @nda.signature_request_id")
lie = lie.sort_values(["event_time", "callback_type"], ignore_index=True)
lie[["event_type", "callback_type", "is_complete", "verified"]]

# %% [markdown]
# `verified` is true and `is_complete` says true, yet nobody signed. Before you act on an event
# (release goods, store "the signed contract"), ask the API for the request's state, with your
# key, over HTTPS: `GET /signature_request/{id}`.

# %%
truth = client.get(nda.signature_request_id)
truth.is_complete, [signature.status_code for signature in truth.signatures]

# %% [markdown]
# Each verified delivery also records which of your keys matched, as `verified_by` in
# `listener.deliveries()`: a fingerprint (`sha256:` and 12 hex digits), never the key. A
# freshness window (`Listener(tolerance=300)`, `hsnb listen --tolerance 300`) narrows the reuse
# of an old hash to recent ones, but Dropbox Sign's retries keep their first `event_time` and
# arrive up to about 30 hours late, so a shorter window refuses genuine retries; it is off by
# default.
#
# So `verified` means "signed with your key", not "this body is true". It still refuses
# everything that lacks the key. Three refusals: a callback signed with the wrong key, a `GET`,
# and a body that is not a callback. None of them gets the acknowledgement text, and the live
# table keeps the event type the forged one claimed:

# %%
import requests

wrong_key = callback("signature_request_all_signed", 121, key="not-the-key")
print("wrong key:", verdict(send_callback(listener.url, wrong_key)))
print("GET:      ", requests.get(listener.url, timeout=5).status_code)
print("not JSON: ", requests.post(listener.url, data={"json": "{not json"}, timeout=5).status_code)
refused = listener.deliveries().query("verdict == 'rejected'")
refused[["status", "event_type", "reason"]].reset_index(drop=True)

# %% [markdown]
# ## 4 · A handler that answers the wrong thing is retried for 30 hours
#
# The commonest mistake is answering something else: `OK`, an empty 200, JSON, a redirect. Here
# is such a handler, served on this machine like yours would be. `send_callback` (what
# `hsnb trigger` runs) POSTs a signed callback to it the way Dropbox Sign does and judges the
# answer:

# %%
servers = {}


def serve_handler(name, handler):
    """Serve a Tornado handler on a free 127.0.0.1 port (in hsnb's background loop); its URL.
    Serving the same name again replaces the previous server."""
    if name in servers:
        servers.pop(name).stop()
    servers[name] = serve_app([(r"/.*", handler)])
    return servers[name].url("/callback")


class PoliteButWrong(tornado.web.RequestHandler):
    def post(self):
        self.write("OK")


wrong_url = serve_handler("wrong", PoliteButWrong)
verdict(send_callback(wrong_url, sample_payload("callback_test", API_KEY, event_time=T0)))

# %% [markdown]
# What Dropbox Sign then does: make it the account's callback URL and press "Test" (the
# emulator's `callback_test`), then let the emulator's clock run until nothing is left to do.
# Thirty hours of retries take a moment:


# %%
def replay_until_quiet():
    """Move the emulator's clock from timer to timer until nothing is scheduled."""
    emulator.wait_idle()
    while (deadline := emulator.next_deadline()) is not None:
        emulator.advance(deadline - emulator.clock.now())
        emulator.wait_idle()


emulator.callback_url = wrong_url
wrong_delivery = emulator.callback_test()
replay_until_quiet()
attempts = emulator.deliveries().query("delivery_id == @wrong_delivery").reset_index(drop=True)
attempts["waited"] = readable(attempts["sent_at"].diff())
attempts[["attempt", "sent_at", "waited", "status", "body_excerpt", "outcome"]]

# %% [markdown]
# Seven attempts, each answered `200 OK`, none counted. After the last one the delivery is given
# up (the real service also e-mails you and, its FAQ says, disables the callback URL).
#
# ## 5 · Exercise: fix the handler
#
# Write `post` so that Dropbox Sign counts the delivery. The cell holds one answer: replace it
# with yours and run it and the check below. (In a real app, verify and store the event first,
# as `hsnb.Listener` does.)


# %%
class Fixed(tornado.web.RequestHandler):
    def post(self):
        self.set_header("Content-Type", "text/plain")
        self.write("Hello API Event Received")


# %%
def check(handler):
    """The exercise's check: serve ``handler`` and send it a signed callback_test, as
    ``hsnb trigger`` does; fails unless Dropbox Sign would count the answer."""
    url = serve_handler("exercise", handler)
    result = send_callback(url, sample_payload("callback_test", API_KEY, event_time=T0))
    assert result.acknowledged, verdict(result)
    return url, verdict(result)


fixed_url, answer = check(Fixed)
answer

# %% [markdown]
# And Dropbox Sign's view of it: the same test through the emulator is delivered at the first
# attempt. Both deliveries as a picture (a log time axis, so 5 minutes and 20 hours both show):

# %%
emulator.callback_url = fixed_url
fixed_delivery = emulator.callback_test()
replay_until_quiet()
both = emulator.deliveries().query("delivery_id in [@wrong_delivery, @fixed_delivery]")
plot_attempts(both, labels={wrong_delivery: "answers 200 OK", fixed_delivery: "fixed handler"})
plt.show()

# %% [markdown]
# From a shell, the same check of any URL (your tunnel, your staging server) is:
#
# ```sh
# hsnb trigger callback_test --url https://your.host/dropbox-sign/callback \
#     --api-key "$DROPBOX_SIGN_API_KEY"
# ```
#
# ## 6 · Answer fast, work after: the 30-second rule
#
# An attempt that gets no answer within 30 seconds failed, even if the handler finishes later:
# it is retried, and whatever the handler did runs again. Here the handler downloads the signed
# PDF *before* answering (a pretend download of 1 s), and `send_callback` gives up after 0.5 s,
# standing in for Dropbox Sign's 30 s. A retry comes, so the work is done twice:

# %%
work = []


class WorkFirst(tornado.web.RequestHandler):
    async def post(self):
        await asyncio.sleep(1)  # download the signed PDF...
        work.append("PDF downloaded")
        self.write("Hello API Event Received")  # ...then answer: too late


slow_url = serve_handler("work-first", WorkFirst)
done = callback("signature_request_downloadable", 135)
for attempt in ("first attempt", "the retry"):
    print(f"{attempt}: {verdict(send_callback(slow_url, done, timeout=0.5))}")
time.sleep(1.2)
work

# %% [markdown]
# The fix: store the event, answer at once, and hand the slow work to something that runs after
# the answer (here a task on the server's loop; in production a job queue or a worker thread
# that reads your store):

# %%
work.clear()


class AnswerFirst(tornado.web.RequestHandler):
    async def post(self):
        # (verify event_hash and store the event durably here, as hsnb.Listener does)
        await self.finish("Hello API Event Received")  # answer at once...
        await asyncio.sleep(1)  # ...then download the signed PDF
        work.append("PDF downloaded")


fast_url = serve_handler("answer-first", AnswerFirst)
print(verdict(send_callback(fast_url, done, timeout=0.5)))
time.sleep(1.2)
work

# %% [markdown]
# **Answer:** answer `200` with exactly `Hello API Event Received`, within 30 seconds, after
# storing the event and before any slow work; anything else is retried seven times over 30 hours
# (section 4). Verify `event_hash`, but confirm a request's state with the API before acting on
# it (section 3). Store each event once although it may come twice, and once per callback kind
# (account and app).
#
# The live table at the top has every delivery of this notebook. The servers keep running until
# you stop them (`listener.stop()`, `emulator.stop()`) or the kernel. Here it is again (the same
# table, still live):

# %%
live

# %% [markdown]
# Next: [04 · Fetching the signed document →](04-Fetching-the-Signed-Document.ipynb)
