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
# # Dropbox Sign callbacks, step by step
#
# Dropbox Sign (formerly HelloSign) tells your app about each step of a signature request by
# POSTing a **callback** to a URL you own. These notebooks show every step happen, in this
# kernel, against **hsnb's emulator of the Dropbox Sign API**: no account, no key, no network.
# Notebook 06 then runs the same code against the real API.
#
# Run a notebook top to bottom with **Run > Run All Cells**; each takes a few seconds. Tables
# marked *live* keep updating after the cells have run, and where a notebook asks a signer to
# sign, the sign page is right there in the notebook: click **Sign** in it.
#
# ## The life of a signature request
#
# ```mermaid
# sequenceDiagram
#     autonumber
#     participant App as Your app
#     participant API as Dropbox Sign API
#     participant CB as Your callback URL
#     participant Signer as Signer (iFrame in your page)
#     App->>API: POST /signature_request/create_embedded
#     API-->>App: 200: accepted, not ready yet
#     Note over API: processes the documents, reads text tags
#     API->>CB: signature_request_sent (or file_error)
#     CB-->>API: 200 "Hello API Event Received"
#     App->>API: GET /embedded/sign_url/{signature_id}
#     API-->>App: sign_url (works once, for an hour)
#     App->>Signer: opens sign_url (hellosign-embedded)
#     Signer->>API: views, signs
#     API->>CB: signature_request_viewed, signature_request_signed
#     API->>CB: signature_request_all_signed, then signature_request_downloadable
#     App->>API: GET /signature_request/files/{id}
#     API-->>App: the signed PDF
# ```
#
# Every arrow into *Your callback URL* is a POST that must be answered within 30 seconds with
# `200 Hello API Event Received`, or it is retried for 30 hours. A request whose documents
# cannot be used never gets `signature_request_sent`: a `file_error` comes instead.
#
# ## The walk
#
# 1. [**01 · Callbacks vs polling**](01-Callbacks-vs-Polling.ipynb): is a request ready when
#    `create_embedded` answers 200, and what does polling cost compared with a callback?
# 2. [**02 · Sent or file_error**](02-Sent-vs-File-Error.ipynb): when may you ask for a sign URL,
#    and what happens with a malformed or mismatched text tag? You sign in the notebook.
# 3. [**03 · Answering callbacks**](03-Answering-Callbacks.ipynb): what must a callback handler
#    answer, and how fast? Retries, duplicates, forgeries, account vs app callbacks, `event_hash`
#    by hand, and a handler for you to fix.
# 4. [**04 · Fetching the signed document**](04-Fetching-the-Signed-Document.ipynb): when is the
#    signed PDF ready, and what do you get if you download earlier?
# 5. [**05 · Event timings**](05-Event-Timings.ipynb): how long do processing and signing take,
#    how late do callbacks arrive, how often are they retried, and why? (a simulated working day)
# 6. [**06 · Going live**](06-Going-Live.ipynb): how does the same code run against the real API,
#    and how do real callbacks reach this kernel?
# 7. [**07 · Logs at scale**](07-Logs-at-Scale.ipynb): the same tables from a log of millions of
#    events: Parquet, DuckDB out of core, and the pandas functions on a Dask cluster.
#
# ## The rules, and where each is shown
#
# Each rule is proved by a cell whose output you can read (and that CI re-runs on every change):
#
# * **Wait for `signature_request_sent` before asking for a sign URL** (01, 02): `409` *This
#   request cannot be signed yet* before it, a sign URL after it.
# * **A bad text tag gives an error event, never `sent`** (02): `file_error` for a malformed
#   tag, `signature_request_invalid` for a tag naming a signer the request lacks, each with its
#   `event_message`; the request reports `has_error` and `error_text_tag`.
# * **Answer `200` with exactly `Hello API Event Received` within 30 s, or be retried** (03): a
#   handler answering `200 OK` is retried seven times over 30 hours; the fixed one is delivered
#   at once; a handler that works before answering times out and runs twice.
# * **Download after `all_signed`, once `downloadable` came** (04): a partly signed PDF after the
#   first signature, `409` right after `all_signed`, the final PDF after `downloadable`.
# * **Verify `event_hash`, and confirm the state with the API before acting** (03): the hash
#   computed by hand; a forged body reusing a genuine hash verifies, and
#   `GET /signature_request/{id}` refutes it.
#
# ## Dropbox Sign's own documentation
#
# * [Events and callbacks overview](https://developers.hellosign.com/docs/events/overview/) and
#   [walkthrough](https://developers.hellosign.com/docs/events/walkthrough/): payloads, the
#   acknowledgement, `event_hash`, account and app callbacks.
# * [Embedded signing walkthrough](https://developers.hellosign.com/docs/embedded-signing/walkthrough/):
#   `create_embedded`, `sign_url`, the `hellosign-embedded` library and allowed domains.
# * [Text tags walkthrough](https://developers.hellosign.com/docs/text-tags/walkthrough/).
# * [API reference: embedded](https://developers.hellosign.com/api/reference/embedded/) and the
#   [official Python SDK](https://github.com/hellosign/dropbox-sign-python).
# * Help centre: [callbacks best practices](https://help.dropbox.com/integrations/callbacks-best-practices-in-the-embedded-signing-flow),
#   [`signed` vs `all_signed`](https://help.dropbox.com/integrations/the-difference-between-signature-request-signed-and-all-signed-callback-events),
#   [how often a callback is retried](https://faq.hellosign.com/hc/en-us/articles/115007086247-How-many-times-does-the-Hellosign-API-retry-my-callback-before-disabling-it-).
#
# Where the official texts disagree (which error event a bad tag sends, whether an app callback
# replaces the account one, how long retries go on), the notebooks say so and show what the
# emulator does.
#
# ## Check your setup
#
# This cell starts the emulator and a listener in this kernel and sends the dashboard's test
# callback from one to the other:

# %%
import hsnb

with (
    hsnb.Emulator(seed=0, api_key="demo-api-key", name="start-here") as emulator,
    hsnb.Listener(api_keys="demo-api-key", name="start-here") as listener,
):
    emulator.callback_url = listener.url
    emulator.callback_test()
    event = listener.wait_for("callback_test", timeout=10)
    verified = bool(listener.events()["verified"].iloc[-1])
print(f"hsnb works: {event.event_type} arrived, event_hash verified: {verified}")

# %% [markdown]
# Next: [01 · Callbacks vs polling →](01-Callbacks-vs-Polling.ipynb)
