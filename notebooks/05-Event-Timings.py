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
# The listener adds `received_at`: when the callback reached you. Durations in a request's life come
# from `event_time` alone; lateness is the gap between the two clocks.
#
# We load the sample log in `data/events/`: one working day (Monday 2026-01-05, UTC) with seven
# signature requests, recorded by a real `Listener` from the built-in emulator's callbacks. Every
# time in it is emulated, `received_at` included; its README says how it was made.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import hsnb
from hsnb import analysis, plots
from hsnb.durations import readable, readable_duration

events, deliveries = analysis.read_log("../data/events/sample-log.sqlite")
print(
    f"{len(events)} events from {len(deliveries)} deliveries, "
    f"{events['signature_request_id'].nunique()} signature requests"
)

# %% [markdown]
# `read_log` reads a temporary copy, so the committed file stays as it is (it also takes a running
# `Listener` or an `EventStore`). `events` has one row per logical event, retries collapsed;
# `deliveries` has one row per HTTP request that reached the listener.

# %%
events[["event_time", "received_at", "event_type_raw", "title", "signer_name", "deliveries"]].head(
    6
)

# %% [markdown]
# ## One row per signature request
#
# `lifecycle` folds each request's events into one row: when each step was first seen (by
# `event_time`), how many signers signed, the final state, and three durations. `created_at` comes
# from the `signature_request` object inside the payloads.

# %%
table = analysis.lifecycle(events)
table[["title", "final_state", "signers", "signed", "created_at", "sent_at", "all_signed_at"]]


# %% [markdown]
# ## How long does processing take before `signature_request_sent`?
#
# After you create a request, Dropbox Sign converts the files and places the fields; only then does
# `signature_request_sent` come (sign URLs and file downloads answer 409 until then). If conversion
# fails, a `file_error` comes instead: the *Equipment loan* document has a malformed text tag.
# `processing` runs from `created_at` to whichever of the two arrived.


# %%
def seconds(durations):
    return durations.dt.total_seconds().astype("Int64")


table.set_index("title").assign(processing_s=seconds(table["processing"]).to_numpy())[
    ["final_state", "processing_s"]
]

# %%
median, longest = table["processing"].median(), table["processing"].max()
print(f"median {readable_duration(median)}, longest {readable_duration(longest)}")


# %% [markdown]
# Half a minute to a minute here (the emulator draws it from a log-normal distribution with a 40 s
# median). Plan for it: do not treat a request as signable right after the create call returns, wait
# for `signature_request_sent`.
#
# ## How long do signers take?
#
# `signing` runs from `sent` to `all_signed`, so only completed requests have it. Most of it is
# people getting round to their e-mail.


# %%
def minutes(durations):
    return (durations.dt.total_seconds() / 60).round(1)


done = table.dropna(subset=["signing"]).set_index("title")
readable(done[["signers", "signing"]].assign(signing_min=minutes(done["signing"])))

# %% [markdown]
# Each signer's own pace: the time from `sent` to their `signature_request_signed`.

# %%
signed = events[events["event_type_raw"] == "signature_request_signed"]
sent_at = table.set_index("signature_request_id")["sent_at"]
after_sent = signed["event_time"] - signed["signature_request_id"].map(sent_at)
signed.assign(after_sent_min=minutes(after_sent))[["title", "signer_name", "after_sent_min"]]

# %% [markdown]
# The whole day at a glance: one lane per request, one marker per event, at its `event_time`. The
# grey line runs from `created_at` to the last event.

# %%
plots.plot_timeline(events)
plt.show()

# %% [markdown]
# ## `downloadable` comes after `all_signed`
#
# The final PDF is generated after the last signature. Download it when
# `signature_request_downloadable` arrives, not on `all_signed`:

# %%
readable(table.set_index("title")["download_lag"].dropna())

# %% [markdown]
# ## How late do callbacks arrive?
#
# `latencies` gives each event's delay, `received_at - event_time`; `latency_summary` sums it up by
# type. `received_at` is when the *first stored* delivery arrived, so a delivery that was refused or
# lost and retried shows up as minutes of delay.

# %%
readable(analysis.latency_summary(events))

# %%
plots.plot_latencies(events)
plt.show()

# %% [markdown]
# Most callbacks arrive within a few seconds. The dots at 5 and 20 minutes are retries: Dropbox Sign
# waits 5 minutes after a failed attempt, then 15 more. Which ones?

# %%
delays = analysis.latencies(events)
late = delays[delays["delay"] > pd.Timedelta(minutes=1)]
readable(late[["title", "event_type_raw", "event_time", "received_at", "delay"]])

# %% [markdown]
# Between 09:38 and 09:58 the receiving app ran with a stale API key and refused every callback
# (403); everything sent in those twenty minutes came 20 minutes late. The *Vendor onboarding*
# `all_signed` was lost on the way: the listener never saw the first attempt, only the retry.
#
# ## Arrival order is not event order
#
# Retries make callbacks overtake each other. Here are the events that arrived after a later event
# of the same request:

# %%
by_arrival = events.sort_values("received_at", kind="stable")
overtaken = by_arrival.groupby("signature_request_id")["event_time"].transform(
    lambda times: times < times.cummax()
)
by_arrival[overtaken][["title", "event_type_raw", "signer_name", "event_time", "received_at"]]

# %% [markdown]
# So a handler must not assume `sent` comes before `viewed`, or `signed` before `all_signed`: order
# by `event_time`, and when in doubt ask the API for the request's current state. The same day by
# arrival time:

# %%
plots.plot_timeline(events, time="received_at")
plt.show()

# %% [markdown]
# ## How often are callbacks retried?
#
# `retry_stats` counts deliveries per event, duplicates (a delivery of an event already stored) and
# refusals by reason.

# %%
stats = hsnb.retry_stats(events, deliveries)
stats

# %%
stats.by_type

# %%
stats.rejected

# %% [markdown]
# The one duplicate is a `signed` that the service sent twice; the listener stored it once and
# acknowledged both. The 403s are the stale-key twenty minutes; the 405 and the 400 are not Dropbox
# Sign at all (an uptime checker and someone else's webhook). A retry after a refusal is not a
# duplicate: the refused attempts were never stored as the event, which is why they show up as
# lateness above.
#
# ## Your own events, live
#
# Everything above works on a running listener too: `analysis.read_log(listener)`. `LiveEvents`
# shows deliveries as they arrive (its table refreshes from the listener's thread). Here the
# emulator sends one two-signer request, with its clock sped up so that minutes pass in
# milliseconds:

# %%
import requests

from hsnb.emulator import DEFAULT_EPOCH, Emulator
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
# (`received_at` of a live log is your wall clock, while this emulator's `event_time` runs in its
# own sped-up time, so lateness means something only against the real service or a log like the
# sample.)
#
# Stop both servers when done; the log stays readable.

# %%
listener.stop()
emulator.stop()

# %% [markdown]
# Next: [06 · Going live →](06-Going-Live.ipynb)
