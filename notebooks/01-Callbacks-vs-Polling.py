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
# [Start here](00-Start-Here.ipynb) · [02 · Sent or file_error →](02-Sent-vs-File-Error.ipynb)
#
# # 01 · Callbacks vs polling
#
# **Question:** `create_embedded` answers `200` within milliseconds. Is the request ready to
# sign? And how do you find out when it is, without spending your API rate limit?
#
# The `200` only means Dropbox Sign *accepted* the parameters. The real work comes after:
# the documents are converted, text tags become fields, and only then can anyone sign. When
# that is done, Dropbox Sign POSTs a `signature_request_sent` event to your callback URL (or a
# `file_error` when it failed: notebook 02). You can find out by **polling** (asking the API
# again and again) or by **listening** (being told once). This notebook does both against
# hsnb's built-in emulator of the Dropbox Sign API and counts the API calls each way costs.
# (Dropbox Sign's own account: the [events overview](https://developers.hellosign.com/docs/events/overview/).)

# %%
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

import hsnb
from hsnb.client import Client, Conflict
from hsnb.emulator import DEFAULT_EPOCH
from hsnb.plots import plot_timeline
from hsnb.widgets import SigningPanel

API_KEY = "demo-api-key"  # made up, as every key in a notebook should be
listener = hsnb.Listener(api_keys=API_KEY, name="notebook-01")
emulator = hsnb.Emulator(
    seed=1,
    api_key=API_KEY,
    callback_url=listener.url,  # the emulator POSTs its callbacks to our listener
    name="notebook-01",
    start_time=DEFAULT_EPOCH,  # 2026-01-01 00:00:00 UTC, so event times repeat
    time_scale=None,  # a clock moved by hand: emulator.advance(seconds)
    processing_delay="uniform:5,15",  # converting the documents takes 5 to 15 s
    signing_delay="uniform:30,90",  # a signer spends 30 to 90 s on the page
    file_prep_delay=5,  # the final PDF takes 5 s to prepare
)
client = Client(base_url=emulator.api_url)  # the same client works with the real API
calls = []
client.add_observer(calls.append)  # every HTTP exchange with the API, to count them
emulator

# %% [markdown]
# The emulator keeps its own clock. In this notebook it moves only when we say so:
# `emulator.advance(2)` means "two seconds pass". That makes every count below the same on
# every run; with `time_scale=1` the clock runs by itself, as the real service does.
#
# ## A 200 that does not mean "ready"
#
# Two signers, one NDA with text tags for both:

# %%
SIGNERS = [("Alice Example", "alice@example.com"), ("Bob Example", "bob@example.com")]
NDA = "../data/documents/nda-two-signers.pdf"

first = client.create_embedded(NDA, SIGNERS, use_text_tags=True, title="NDA (polled)")
first.has_error, [signature.status_code for signature in first.signatures]

# %% [markdown]
# No error, both signers awaiting their signature: it *looks* ready. Ask for Alice's sign
# URL and the API says otherwise, because the documents are still being processed:

# %%
try:
    client.sign_url(first.signature_ids[0])
except Conflict as error:
    print(error.status, error.error_name, "-", error.error_msg)

# %% [markdown]
# ## Polling
#
# Nothing in `get()` says "still processing". A poller therefore has to ask twice each round:
# `get()` to notice a processing error (`has_error`), then `sign_url()` to see whether the
# request can be signed yet. Between rounds it sleeps, here 2 seconds. Every call counts
# against the rate limit, which each answer reports in its `X-RateLimit-*` headers
# (`client.last_rate_limit`): 100 calls a minute per account on the real service.

# %%
POLL_EVERY = 2  # seconds between rounds


def poll_until_signable(request_id, signature_id, every=POLL_EVERY, max_rounds=30):
    """The polling way: ask until a sign URL comes. Returns (URL or None, log)."""
    rounds = []
    for number in range(1, max_rounds + 1):
        request = client.get(request_id)
        row = {
            "round": number,
            "seconds": int(emulator.clock.now()) - request.created_at,  # since create
            "has_error": request.has_error,
            "calls_left": client.last_rate_limit.remaining,
        }
        if request.has_error:
            rounds.append({**row, "sign_url": "not asked"})
            return None, pd.DataFrame(rounds)
        try:
            url = client.sign_url(signature_id)
        except Conflict as error:
            rounds.append({**row, "sign_url": f"{error.status} {error.error_name}"})
            emulator.advance(every)  # the poller sleeps; the service keeps working
            continue
        rounds.append({**row, "sign_url": "200 (a sign URL)"})
        return url, pd.DataFrame(rounds)
    raise TimeoutError(f"still not signable after {max_rounds} rounds")


calls.clear()
sign_url, rounds = poll_until_signable(first.signature_request_id, first.signature_ids[0])
polled_calls = len(calls)
rounds


# %% [markdown]
# `calls_left` is `X-RateLimit-Remaining` after each `get()`; it drops by two a round because
# the `409` answers to `sign_url()` count too. The poller got there, after this many calls:


# %%
def endpoint(exchange):
    """E.g. 'GET /embedded/sign_url/{id} -> 409': the call, without its id."""
    path = exchange.path.rsplit("/", 1)[0] + "/{id}"
    return f"{exchange.method} {path} -> {exchange.response.status_code}"


pd.Series([endpoint(exchange) for exchange in calls]).value_counts()

# %% [markdown]
# ## Listening
#
# All that time the emulator was also POSTing callbacks to the listener. The
# `signature_request_sent` event for this very request had already arrived, and it says
# exactly when processing finished, to the second:

# %%
request_id = first.signature_request_id
sent = listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=10)
ready = sent.event_timestamp - first.created_at
pd.DataFrame(
    {
        "knew it was ready (s after create)": [rounds["seconds"].iloc[-1], ready],
        "API calls spent finding out": [polled_calls, 0],
    },
    index=["polling", "listening"],
)

# %% [markdown]
# A poller is always late by up to one interval, and polling faster only costs more calls.
# Here is the same wait as a picture: the calls each way spends before it can show the
# signer a sign URL.

# %%
seconds = rounds["seconds"].tolist()
fig, ax = plt.subplots(figsize=(7, 3))
ax.step(seconds, range(2, 2 * len(seconds) + 1, 2), where="post", label="polling every 2 s")
ax.step([0, ready, seconds[-1]], [0, 1, 1], where="post", label="listening, then sign_url")
ax.axvline(ready, color="#999999", ls=":", lw=1)
ax.text(ready, 0.5, " signature_request_sent", color="#666666", fontsize="small")
ax.set_xlabel("seconds after create_embedded")
ax.set_ylabel("API calls")
ax.set_title("Calls spent waiting for one request to be signable")
ax.legend(loc="upper left", frameon=False)
plt.show()

# %% [markdown]
# Two calls every two seconds is 60 calls a minute for *one* waiting request; two at once
# already exceed the limit of 100 a minute, and the API answers `429 exceeded_rate`. The
# callback costs nothing, however many requests are in flight.
#
# ## The callback way, start to finish
#
# A real app creates the request, goes on with its work, and reacts to the event. In a
# notebook, `listener.wait_for` blocks until the event is stored (at once if it already is)
# and raises `TimeoutError` if it does not come in time:

# %%
nda = client.create_embedded(NDA, SIGNERS, use_text_tags=True, title="NDA")
alice, bob = nda.signature_ids
calls.clear()

emulator.advance(30)  # half a minute passes; this notebook makes no API call meanwhile
request_id = nda.signature_request_id
sent = listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=10)
sign_url = client.sign_url(alice)  # works the first time
sent.event_type, len(calls)

# %% [markdown]
# One API call, made when it could succeed. Now the signers do their part. Alice's sign page is
# below, beside a live table of the callbacks: **click Sign** in it. This emulator's clock moves
# only when a cell says so, so her signature lands while the next cell lets two minutes pass.

# %%
panel = SigningPanel(sign_url.sign_url, listener, signer="Alice Example")
panel

# %% [markdown]
# With nobody at the page (running all cells at once), the next cell signs for Alice; Bob is
# played by the emulator (`emulator.sign` opens the request and signs after the signer's
# delay) and opens it two minutes later. Then we wait for the last event of a request's life,
# `signature_request_downloadable`:

# %%
panel.sign_unless_clicked(emulator)
emulator.advance(120)
emulator.sign(bob)
emulator.advance(120)
done = listener.wait_for(
    "signature_request_downloadable", signature_request_id=request_id, timeout=10
)
done.signature_request["is_complete"], len(calls)

# %% [markdown]
# Still one API call. The whole life arrived as callbacks, one row per event in
# `listener.events()` (a typed pandas frame; times in UTC). Callbacks can arrive out of
# order, so sort by `event_time`:

# %%
events = listener.events()
life = events[events["signature_request_id"] == request_id]
life = life.sort_values(["event_time", "event_type", "signer_name"], ignore_index=True)
life[["event_time", "event_type", "signer_name", "is_complete", "verified"]]

# %% [markdown]
# `viewed` and `signed` come once per signer (`signer_name` is the signer the event is about),
# `all_signed` once everyone signed, and `downloadable` once the final PDF is ready, a few
# seconds later (notebook 04 is about that gap). `verified` says each event's `event_hash`
# matched our API key. Both requests on one time line:

# %%
ax = plot_timeline(events)
ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))  # events seconds apart
plt.show()

# %% [markdown]
# **Answer:** a `200` from `create_embedded` means "accepted", not "ready". Polling finds
# out late and pays for every question; a callback says exactly when, for free. Wait for
# `signature_request_sent` before asking for a sign URL (notebook 02 adds the case where
# it never comes).
#
# Stop the servers when done; the events stay readable. Next:
# [02 · Sent or file_error →](02-Sent-vs-File-Error.ipynb)

# %%
listener.stop()
emulator.stop()
len(listener.events()), listener.running, emulator.running
