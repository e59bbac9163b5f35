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
# [Start here](00-Start-Here.ipynb) ·
# [← 04 · Fetching the signed document](04-Fetching-the-Signed-Document.ipynb) ·
# [06 · Going live →](06-Going-Live.ipynb)
#
# # 05 · Event timings
#
# **Question:** how long does Dropbox Sign take to process a document before
# `signature_request_sent`, how long do signers take, how late do callbacks arrive, and how often
# are they retried?
#
# Every callback carries `event_time`: when the event happened at Dropbox Sign (whole seconds).
# The listener adds `received_at`: when the callback reached you. Durations in a request's life
# come from `event_time` alone; lateness is the gap between the two.
#
# To have something to measure, we make a day: `hsnb.simulate` runs a seeded workload (requests
# arriving over the day, one to three signers, a few bad documents, signers who decline or never
# act, and a receiver that sometimes answers wrongly, too slowly or not at all) over HTTP through
# the built-in emulator into a real listener. It runs on **virtual time**: the emulator's clock
# jumps to the next thing due as soon as nothing is in flight, so three emulated days take about a
# second, and the same seed gives the same log on any machine. That is why the numbers below never
# change between runs.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import hsnb
from hsnb import analysis, plots
from hsnb.durations import readable, readable_duration
from hsnb.emulator import DEFAULT_EPOCH
from hsnb.simulation import PRESETS, ReceiverBehaviour

workload = PRESETS["working-day"].replace(
    requests=40,
    period=7 * 3600,  # arrivals from 09:00 to 16:00
    decline=0.06,
    never_act=0.04,
    receiver=ReceiverBehaviour(wrong=0.03, slow=0.02, lost=0.05),
)
monday_9am = DEFAULT_EPOCH + 4 * 86400 + 9 * 3600  # Monday 2026-01-05, 09:00 UTC
result = hsnb.simulate(workload, seed=20260105, start_time=monday_9am, progress=False)
events, deliveries = result.log
print(
    f"{len(result.plans)} requests: {len(events)} events from {len(deliveries)} deliveries; "
    f"the emulator made {len(result.attempts)} callback attempts"
)

# %% [markdown]
# This is exactly the committed sample log, `data/events/sample-log.sqlite`
# (`data/events/make_sample_log.py` makes the same call), so you can also open that file with
# `analysis.read_log` without running anything. On the command line:
# `hsnb simulate --seed 7 --requests 300 --store day.sqlite --preset working-day`.
#
# ## One clock
#
# The emulator signs its clock into every callback it sends (an HMAC with the API key, like
# `event_hash`), and the listener, which verifies with that key, stamps `received_at` on that
# clock: `received_clock` says `emulated`. The wall-clock arrival is kept beside it in
# `received_wall_at` (left out here: it differs on every run). A listener fed by the real service,
# or one without the key, stays on its wall clock, so the same analysis works on real logs.

# %%
clock_columns = ["event_time", "received_at", "received_clock", "event_type_raw", "title"]
events[clock_columns].head(6)

# %% [markdown]
# ## One row per signature request
#
# `lifecycle` folds each request's events into one row: when each step was first seen (by
# `event_time`), how many signers signed, the final state, three durations, and `problems` for
# whatever it could not place (an event after the end, a missing `sent`, ...).

# %%
table = analysis.lifecycle(events)
table["final_state"].value_counts()[lambda counts: counts > 0]

# %%
readable(
    table[["title", "final_state", "signers", "signed", "processing", "signing", "download_lag"]]
).head(8)

# %% [markdown]
# ## How long does processing take before `signature_request_sent`?
#
# After you create a request, Dropbox Sign converts the files and places the fields; only then
# does `signature_request_sent` come (sign URLs and file downloads answer 409 until then). If
# conversion fails, a `file_error` (or `signature_request_invalid`) comes instead. `processing`
# runs from `created_at` to whichever of the two arrived.

# %%
processing = table["processing"].dropna()
print(
    f"{len(processing)} requests: median {readable_duration(processing.median())}, "
    f"95th percentile {readable_duration(processing.quantile(0.95))}, "
    f"longest {readable_duration(processing.max())} "
    f"(configured: log-normal, median {readable_duration(pd.Timedelta(seconds=40))})"
)

# %%
errors = events[events["event_type_raw"].isin(analysis.ERROR_EVENT_TYPES)]
errors[["title", "event_type_raw", "event_time", "event_message"]]

# %% [markdown]
# Plan for it: do not treat a request as signable right after the create call returns, wait for
# `signature_request_sent`; and handle the errors, which come instead of it.
#
# ## How long do signers take?
#
# `signer_times` has one row per signer: from `sent` to opening the request (`to_view`), time on
# the page (`on_page`, opening to signing or declining) and the total (`to_sign`). In a request
# signed in order, a later signer's `to_view` includes the wait for the ones before.

# %%
signers = hsnb.signer_times(events)
signers["outcome"].value_counts()

# %%
durations = signers[["to_view", "on_page", "to_sign"]]
readable(
    pd.DataFrame(
        {
            "median": durations.median(),
            "p95": durations.quantile(0.95),
            "configured median": [pd.Timedelta(minutes=10), pd.Timedelta(minutes=2), pd.NaT],
        }
    )
)

# %% [markdown]
# The workload drew the wait before opening from a log-normal with a 10-minute median and a wide
# spread, and the time on the page from one with a 2-minute median. With 63 signers the measured
# median of a wide distribution wanders (here `to_view` comes out lower); over 1,000 requests
# (`python -m benchmarks.simulation`) both land within a few percent of what was configured. Most
# of a request's life is people getting round to their e-mail.
#
# The morning at a glance: one lane per request, one marker per event, at its `event_time`; the
# grey line runs from `created_at` to the last event.

# %%
morning = events[events["signature_request_id"].isin(table["signature_request_id"].head(10))]
plots.plot_timeline(morning)
plt.show()

# %% [markdown]
# ## `downloadable` comes after `all_signed`
#
# The final PDF is generated after the last signature. Download it when
# `signature_request_downloadable` arrives, not on `all_signed`:

# %%
lag = table["download_lag"].dropna()
print(
    f"{len(lag)} completed requests: the PDF was ready a median "
    f"{readable_duration(lag.median())} after all_signed, at most {readable_duration(lag.max())}"
)

# %% [markdown]
# ## How late do callbacks arrive?
#
# `latencies` gives each event's delay, `received_at - event_time`; `latency_summary` sums it up
# by type, with the 95th and 99th percentiles. `received_at` is when the *first stored* delivery
# arrived, so an event whose first attempt was lost shows up as minutes of delay. A delay that
# cannot be (negative, or past the last retry: two clocks mixed) would be counted under `suspect`
# and left out of the figures, never clipped; here there is none.

# %%
readable(analysis.latency_summary(events))

# %%
plots.plot_latencies(events)
plt.show()

# %% [markdown]
# Most callbacks arrive within a few seconds (the service's queue: a 1.5 s median here). The dots
# at 5 minutes are retries: Dropbox Sign waits 5 minutes after a failed attempt, then 15 more, and
# so on. Which events were late?

# %%
delays = analysis.latencies(events)
late = delays[delays["delay"] > pd.Timedelta(minutes=1)]
readable(late[["title", "event_type_raw", "event_time", "received_at", "delay"]])

# %% [markdown]
# ## How often are callbacks retried, and why?
#
# A listener alone cannot count what never reached it. The emulator logs every attempt it made
# (`result.attempts`, or `Emulator.deliveries()`) and names each one on the wire
# (`X-Hsnb-Attempt`), so `attempt_view` joins the two: one row per attempt, with its `fate`.

# %%
view = hsnb.attempt_view(result.attempts, deliveries)
pd.crosstab(view["outcome"], view["fate"])

# %% [markdown]
# * **lost** (`connection_error`): the connection broke before the receiver saw anything; the
#   retry five minutes later is the first delivery the listener stores: that event is late.
# * **not acknowledged** (`wrong_answer`, `timeout`): the receiver stored the event but answered
#   `200 OK` without `Hello API Event Received`, or after the 30 s timeout. The service retries, and
#   the retry arrives as a *duplicate* of an event already stored.
#
# `retry_stats` counts it all, from the listener's side and, given the attempts, from the sender's:

# %%
stats = hsnb.retry_stats(events, deliveries, result.attempts)
stats

# %%
stats.by_type

# %% [markdown]
# Every attempt of the deliveries that needed more than one, on a time axis that is linear for
# the first ten minutes and logarithmic after (green: acknowledged, red: not):

# %%
retried = result.attempts.groupby("delivery_id")["attempt"].transform("max") > 1
plots.plot_attempts(result.attempts[retried].head(24))
plt.show()

# %% [markdown]
# ## Arrival order is not event order
#
# Retries make callbacks overtake each other. Here are the events that arrived after a later event
# of the same request:

# %%
requests_only = events.dropna(subset=["signature_request_id"])  # not template_created
by_arrival = requests_only.sort_values("received_at", kind="stable")
overtaken = by_arrival.groupby("signature_request_id")["event_time"].transform(
    lambda times: times < times.cummax()
)
by_arrival[overtaken][["title", "event_type_raw", "signer_name", "event_time", "received_at"]]

# %% [markdown]
# So a handler must not assume `sent` comes before `viewed`, or `signed` before `all_signed`:
# order by `event_time`, and when in doubt ask the API for the request's current state.
#
# ## Your own events, live
#
# Everything above works on a running listener too: `analysis.read_log(listener)`. `LiveEvents`
# shows deliveries as they arrive (its table refreshes from the listener's thread). Here the
# emulator sends one two-signer request, with its clock sped up so that minutes pass in
# milliseconds:

# %%
import requests

from hsnb.emulator import Emulator
from hsnb.listener import Listener
from hsnb.widgets import LiveEvents

emulator = Emulator(
    seed=5,
    name="notebook-05",
    start_time=DEFAULT_EPOCH,
    time_scale=1e-4,
    processing_delay="lognormal:40,0.5",
    signing_delay="lognormal:90,0.6",
)
listener = Listener(api_keys=emulator.api_key, name="notebook-05")
emulator.callback_url = listener.url
feed = LiveEvents(listener)
feed

# %%
with open("../data/documents/nda-two-signers.pdf", "rb") as pdf:
    files = {"files[0]": ("nda-two-signers.pdf", pdf.read(), "application/pdf")}
form = {"title": "Live NDA", "test_mode": "1", "use_text_tags": "1"}
for i, name in enumerate(["Ana", "Ben"]):
    form[f"signers[{i}][name]"] = name
    form[f"signers[{i}][email_address]"] = f"{name.lower()}@example.com"
response = requests.post(
    f"{emulator.api_url}/signature_request/send",
    auth=(emulator.api_key, ""),
    data=form,
    files=files,
    timeout=10,
)
request = response.json()["signature_request"]
request_id = request["signature_request_id"]

listener.wait_for("signature_request_sent", signature_request_id=request_id)
for signature in request["signatures"]:
    emulator.sign(signature["signature_id"])
listener.wait_for("signature_request_downloadable", signature_request_id=request_id)
emulator.wait_settled()
print(feed)

# %%
live = analysis.read_log(listener)
readable(
    analysis.lifecycle(live.events)[
        ["title", "final_state", "signed", "processing", "signing", "download_lag"]
    ]
)

# %% [markdown]
# The listener verifies with this emulator's key, so this live log is on the emulator's clock too
# (`received_clock` is `emulated`) and lateness means what it says. But at `time_scale=1e-4` a
# millisecond on the wire is ten emulated seconds, and how many milliseconds it takes depends on
# the machine: for measuring, use virtual time, as above; scaled time is for watching.
#
# Stop both servers when done; the log stays readable.

# %%
listener.stop()
emulator.stop()

# %% [markdown]
# Next: [06 · Going live →](06-Going-Live.ipynb)
