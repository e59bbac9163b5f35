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
# [Start here](00-Start-Here.ipynb) · [← 01 · Callbacks vs polling](01-Callbacks-vs-Polling.ipynb) ·
# [03 · Answering callbacks →](03-Answering-Callbacks.ipynb)
#
# # 02 · Sent or file_error: when can a signer sign?
#
# **Question:** after `create_embedded` answered `200`, when may you ask for a sign URL, and
# what happens when the documents are wrong?
#
# Dropbox Sign processes the documents *after* the `200`: it converts them and turns their
# text tags into fields. Processing ends in one of two ways, each reported by a callback:
#
# * `signature_request_sent`: the request can be signed; now ask for a sign URL;
# * an error event, `file_error` or `signature_request_invalid` "depending on the reason"
#   (Dropbox Sign's help centre): the documents could not be used, for example because of a
#   malformed text tag, or they do not match the request, for example a tag for a signer you
#   did not pass. The request is marked `has_error` and can never be signed.
#
# So wait for **either** event. An app that waits only for `signature_request_sent` waits
# forever on a bad document; one that does not wait at all gets a `409`. This notebook shows
# all of it against hsnb's emulator of the Dropbox Sign API, and you sign in it. (Dropbox
# Sign's guides: [embedded signing](https://developers.hellosign.com/docs/embedded-signing/walkthrough/),
# [text tags](https://developers.hellosign.com/docs/text-tags/walkthrough/).)

# %%
import pandas as pd
import requests

import hsnb
from hsnb.client import Client, Conflict
from hsnb.emulator import DEFAULT_EPOCH, pdf_text
from hsnb.widgets import SigningPanel

API_KEY = "demo-api-key"  # made up, as every key in a notebook should be
listener = hsnb.Listener(api_keys=API_KEY, name="notebook-02")
emulator = hsnb.Emulator(
    seed=2,
    api_key=API_KEY,
    callback_url=listener.url,  # the emulator POSTs its callbacks to our listener
    name="notebook-02",
    start_time=DEFAULT_EPOCH,  # 2026-01-01 00:00:00 UTC, so event times repeat
    time_scale=0.05,  # one emulated second lasts 0.05 s here
    processing_delay="uniform:10,20",  # processing takes 10 to 20 s (0.5 to 1 s here)
    file_prep_delay=0,  # no files are downloaded here; no timer moves the clock behind our back
)
client = Client(base_url=emulator.api_url)  # the same client works with the real API
DOCUMENTS = "../data/documents/"
SIGNERS = [("Alice Example", "alice@example.com"), ("Bob Example", "bob@example.com")]


def utc(seconds):
    """Unix seconds as a readable UTC time."""
    return pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


emulator

# %% [markdown]
# ## Too early: a sign URL right after create
#
# A good document, two signers. The create call succeeds; asking for Alice's sign URL right
# away does not, because the documents are still being processed:

# %%
nda = client.create_embedded(
    DOCUMENTS + "nda-two-signers.pdf", SIGNERS, use_text_tags=True, title="NDA"
)
alice, bob = nda.signature_ids
try:
    client.sign_url(alice)
except Conflict as error:
    too_early = error
type(too_early).__name__, too_early.status, too_early.error_name, too_early.error_msg

# %% [markdown]
# That is the real service's answer too: `409` with the message *This request cannot be
# signed yet*. Every `ApiError` of `hsnb.client` carries the API's `error_name` and
# `error_msg`, so you can tell this case from the others.
#
# ## Wait for the outcome, whichever it is
#
# `listener.wait_for` takes one event type or several: given a list, it returns the first
# of any of them to arrive for that request (at once if one already has), and raises
# `TimeoutError`, naming what did arrive, if none comes in time. Which error event comes
# depends on the reason: the emulator sends `file_error` for a malformed tag (as the HelloSign
# blog shows) and `signature_request_invalid` for a tag naming a signer the request lacks (the
# older documentation's "invalid request data"); `unknown_error` ends processing too. A robust
# app waits for all of them:

# %%
SENT = "signature_request_sent"
OUTCOMES = (SENT, "file_error", "signature_request_invalid", "unknown_error")


def wait_until_processed(request_id, timeout=30.0):
    """The event that ended processing: signature_request_sent or an error event."""
    return listener.wait_for(OUTCOMES, signature_request_id=request_id, timeout=timeout)


outcome = wait_until_processed(nda.signature_request_id)
outcome.event_type, utc(outcome.event_timestamp)

# %% [markdown]
# Sent. Now the sign URL comes, valid for an hour:

# %%
url = client.sign_url(alice)
utc(url.expires_at)


# %% [markdown]
# ## Sign it, here
#
# In an app the sign URL goes into an iFrame on your page (through Dropbox Sign's
# `hellosign-embedded` library; notebook 06 says why a real one must). Here it goes into one in
# the notebook, beside a live table of the callbacks the listener receives. **Click Sign in the
# frame, as Alice.** Opening the page is Alice viewing the request (a `signature_request_viewed`
# callback); signing sends `signature_request_signed`. Both appear in the table as they arrive.

# %%
panel = SigningPanel(url.sign_url, listener, signer="Alice Example")
panel

# %% [markdown]
# Running all cells at once, nobody is at the page to click: this cell then signs as Alice
# through the emulator, exactly as the button would, and leaves a click of yours alone. Either
# way the callback arrives:

# %%
panel.sign_unless_clicked(emulator)
signed = listener.wait_for(
    "signature_request_signed", signature_request_id=nda.signature_request_id, timeout=30
)
signed.event_type, "by Alice:", signed.related_signature_id == alice

# %% [markdown]
# A sign URL works **once**: the frame used Alice's. A second visit to a used URL gets an error
# page, and Dropbox Sign reports it with a `sign_url_invalid` callback. Here is Bob's URL opened
# twice, as a browser would (first the page, then `410 Gone`):

# %%
bob_url = client.sign_url(bob).sign_url
print([requests.get(bob_url, timeout=10).status_code for visit in (1, 2)])
invalid = listener.wait_for(
    "sign_url_invalid", signature_request_id=nda.signature_request_id, timeout=10
)
invalid.event_type

# %% [markdown]
# So ask for a fresh sign URL each time you show the iFrame, never store one.
#
# %% [markdown]
# ## A malformed text tag: `file_error`
#
# `malformed-tag.pdf` has one good tag and two broken ones: an unclosed `[sig|req|signer1`
# and `[initial|maybe|signerX]`, whose signer part is not `signer1`, `signer2`, ...

# %%
with open(DOCUMENTS + "malformed-tag.pdf", "rb") as file:
    malformed_pdf = file.read()
[line for line in pdf_text(malformed_pdf).splitlines() if "[" in line]

# %% [markdown]
# The create call cannot know yet, so it still answers `200` with no error:

# %%
broken = client.create_embedded(
    DOCUMENTS + "malformed-tag.pdf", SIGNERS[:1], use_text_tags=True, title="Malformed tag"
)
broken.has_error

# %% [markdown]
# The outcome arrives a little later, and it is not `signature_request_sent`. Its
# `event_message` says what was wrong:

# %%
outcome = wait_until_processed(broken.signature_request_id)
print(outcome.event_type, "at", utc(outcome.event_timestamp))
print(outcome.event_message)

# %% [markdown]
# From now on the request reports `has_error`, each signer's `status_code` is
# `error_text_tag`, and no sign URL will ever be given:

# %%
request = client.get(broken.signature_request_id)
print("has_error:", request.has_error)
print("signers:", [signature.status_code for signature in request.signatures])
try:
    client.sign_url(request.signatures[0].signature_id)
except Conflict as error:
    print("sign_url:", error.status, error.error_name, "-", error.error_msg)

# %% [markdown]
# And `signature_request_sent` never comes. Waiting for it alone would hang until a timeout;
# `wait_for`'s `TimeoutError` says what did arrive instead:

# %%
try:
    listener.wait_for(SENT, signature_request_id=broken.signature_request_id, timeout=1)
except TimeoutError as error:
    print(error)

# %% [markdown]
# The request stays in error. Fix the document and create a new request.
#
# ## Tags for a signer you did not pass: `signature_request_invalid`
#
# The documented example of a mismatch: `signer-mismatch.pdf` has signature tags for
# `signer1`, `signer2` and `signer3`, but the request names only two signers.

# %%
mismatch = client.create_embedded(
    DOCUMENTS + "signer-mismatch.pdf", SIGNERS, use_text_tags=True, title="Signer mismatch"
)
outcome = wait_until_processed(mismatch.signature_request_id)
print(outcome.event_type, "-", outcome.event_message)
[signature.status_code for signature in client.get(outcome.signature_request_id).signatures]

# %% [markdown]
# ## Ignoring tag errors
#
# `ignore_text_tags_extraction_errors=True` asks Dropbox Sign to skip tags it cannot use
# instead of failing the request. The same document is then sent, as if the `signer3` tag
# were not there, so use it only when a missing field is acceptable:

# %%
lenient = client.create_embedded(
    DOCUMENTS + "signer-mismatch.pdf",
    SIGNERS,
    use_text_tags=True,
    title="Signer mismatch, tag errors ignored",
    ignore_text_tags_extraction_errors=True,
    allow_decline=True,  # the signer may decline (with a reason) on the sign page
)
outcome = wait_until_processed(lenient.signature_request_id)
outcome.event_type, client.get(lenient.signature_request_id).has_error

# %% [markdown]
# ## One outcome per request
#
# Every request above ended processing with exactly one of the outcome events, as the
# listener's events frame shows (sorted by `event_time`, since callbacks can arrive out of
# order):

# %%
events = listener.events()
outcomes = events[events["event_type"].isin(OUTCOMES)]
outcomes = outcomes.sort_values(["event_time", "event_type", "title"], ignore_index=True)
assert outcomes["signature_request_id"].is_unique, "one outcome per request"
outcomes[["event_time", "title", "event_type", "has_error"]]

# %% [markdown]
# **Answer:** ask for a sign URL only after `signature_request_sent`. Before it, the API
# answers `409` *This request cannot be signed yet*; after an error event (`file_error` for
# a malformed text tag, `signature_request_invalid` for a mismatched one) it never will, and
# the request reports `has_error` and `error_text_tag`. So wait for whichever comes first,
# with a timeout, and handle every outcome.
#
# ## Your turn
#
# Bob's page on the request whose tag errors were ignored. Nothing signs it for you: sign or
# decline (with a reason) in the frame and watch the table beside it, which keeps updating
# after the notebook has run. `listener.events()` then has your event too. The servers run
# until you stop them (`listener.stop()`, `emulator.stop()`) or the kernel.

# %%
SigningPanel(client.sign_url(lenient.signature_ids[1]).sign_url, listener, signer="Bob Example")

# %% [markdown]
# Next: [03 · Answering callbacks →](03-Answering-Callbacks.ipynb)
