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
# [Start here](00-Start-Here.ipynb) · [← 03 · Answering callbacks](03-Answering-Callbacks.ipynb) ·
# [05 · Event timings →](05-Event-Timings.ipynb)
#
# # 04 · Fetching the signed document
#
# **Question:** when is the signed PDF ready to download, and what do you get if you
# download it earlier?
#
# `GET /signature_request/files/{id}` returns a copy of the *current* documents. Before
# everyone has signed, that is a partly signed copy; while Dropbox Sign prepares a new
# version after a signature, the endpoint answers `409`. Two callbacks mark the end:
#
# * `signature_request_all_signed`: every signer has signed;
# * `signature_request_downloadable`: the final files are ready. It can come a little after
#   `all_signed`.
#
# This notebook downloads at every step of a two-signer request, against hsnb's emulator of
# the Dropbox Sign API, and reads each copy's audit trail page. (Dropbox Sign's help centre on
# the same question: [`signed` vs `all_signed`](https://help.dropbox.com/integrations/the-difference-between-signature-request-signed-and-all-signed-callback-events).)

# %%
from io import BytesIO
from zipfile import ZipFile

import pandas as pd

import hsnb
from hsnb.analysis import EVENT_ORDER
from hsnb.client import Client, Conflict
from hsnb.emulator import DEFAULT_EPOCH, page_texts
from hsnb.widgets import SigningPanel

API_KEY = "demo-api-key"  # made up, as every key in a notebook should be
listener = hsnb.Listener(api_keys=API_KEY, name="notebook-04")
emulator = hsnb.Emulator(
    seed=4,
    api_key=API_KEY,
    callback_url=listener.url,  # the emulator POSTs its callbacks to our listener
    name="notebook-04",
    start_time=DEFAULT_EPOCH,  # 2026-01-01 00:00:00 UTC, so event times repeat
    time_scale=0.05,  # one emulated second lasts 0.05 s here
    processing_delay="uniform:10,20",  # processing the documents takes 10 to 20 s
    signing_delay="uniform:20,40",  # a signer spends 20 to 40 s on the page
    file_prep_delay=15,  # each new version of the PDF takes 15 s to prepare
)
client = Client(base_url=emulator.api_url)  # the same client works with the real API
emulator


# %% [markdown]
# Two small readers of a downloaded PDF (its text, extracted with pypdf): the status line of
# the audit trail (the last page), and whose signatures are drawn on the document (each is
# drawn as the signer's name above `signed <date>`).


# %%
def audit_status(pdf):
    """The 'Status:' line of the audit trail page (the last page)."""
    lines = page_texts(pdf)[-1].splitlines()
    return next(line for line in lines if line.startswith("Status:"))


def signatures_on(pdf):
    """The names drawn as signatures on the document pages."""
    lines = [line for page in page_texts(pdf)[:-1] for line in page.splitlines()]
    return [lines[i - 1] for i, line in enumerate(lines) if line.startswith("signed ")]


# %% [markdown]
# Every download below goes through one helper that keeps a line about what came back, so
# the end of the notebook can put them side by side. A `409` is raised as
# `hsnb.client.Conflict`, with the API's `error_name` and `error_msg`.

# %%
downloads = []


def download(moment, wait=False):
    """Download the current PDF (wait=True: retry 409s); note what came back."""
    try:
        pdf = client.files(request_id, wait=wait, timeout=30)
    except Conflict as error:
        downloads.append(
            {
                "moment": moment,
                "answer": f"{error.status} {error.error_name}",
                "error_msg": error.error_msg,
            }
        )
        return None
    downloads.append(
        {
            "moment": moment,
            "answer": f"200, a {len(page_texts(pdf))}-page PDF",
            "audit": audit_status(pdf),
            "signed by": ", ".join(signatures_on(pdf)) or "nobody",
        }
    )
    return pdf


# %% [markdown]
# ## Before anyone signs
#
# An NDA with text tags for two signers. Right after the create call the documents are still
# being processed, so there is nothing to download yet:

# %%
SIGNERS = [("Alice Example", "alice@example.com"), ("Bob Example", "bob@example.com")]
nda = client.create_embedded(
    "../data/documents/nda-two-signers.pdf", SIGNERS, use_text_tags=True, title="Mutual NDA"
)
alice, bob = nda.signature_ids
request_id = nda.signature_request_id
download("after create")
downloads[-1]

# %% [markdown]
# (The `error_msg` of this `409` is the emulator's wording: the real one is not documented,
# so check the status or `error_name`, not the text.) Once `signature_request_sent` has come
# (notebook 02: wait for it, or for an error event), the copy is the unsigned document plus
# an audit trail page:

# %%
listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=30)
download("after sent")
downloads[-1]

# %% [markdown]
# ## The trap: downloading after the first signature
#
# Alice's sign page, beside a live table of the callbacks: **click Sign** as Alice. (Running all
# cells at once, nobody clicks, and the next cell signs for her through the emulator.)

# %%
panel = SigningPanel(client.sign_url(alice).sign_url, listener, signer="Alice Example")
panel

# %% [markdown]
# A signer takes a little while on the page (here 20 to 40 emulated seconds). Her
# `signature_request_signed` callback then comes while the new version of the PDF is still being
# prepared (if you clicked long ago, it may be ready already, and the next download is the one
# below):

# %%
panel.sign_unless_clicked(emulator)
listener.wait_for("signature_request_signed", signature_request_id=request_id, timeout=60)
download("after Alice's signed")
downloads[-1]

# %% [markdown]
# A client that retries the `409` (here `client.files(..., wait=True)`, which polls with
# backoff) soon gets a real PDF. It is the wrong one: Bob has not signed, and the audit trail
# is not completed. An app that stores this copy as "the signed NDA" has kept a document
# with one signature missing.

# %%
partial = download("retrying the 409s", wait=True)
downloads[-1]

# %%
page_texts(partial)[-1].splitlines()

# %% [markdown]
# ## `all_signed` is not `downloadable`
#
# Bob signs. `signature_request_all_signed` says everyone has signed, but the final version is
# only now being prepared, and the files endpoint says so:

# %%
emulator.sign(bob)
all_signed = listener.wait_for(
    "signature_request_all_signed", signature_request_id=request_id, timeout=30
)
download("after all_signed")
all_signed.signature_request["is_complete"], downloads[-1]

# %% [markdown]
# ## The right way: wait for `downloadable`, then fetch once
#
# `signature_request_downloadable` says the final files are ready. Wait for it (with a
# timeout) and download once; no retries, no wasted calls:

# %%
listener.wait_for("signature_request_downloadable", signature_request_id=request_id, timeout=30)
final = download("after downloadable")
final.startswith(b"%PDF-"), downloads[-1]

# %% [markdown]
# The final copy: the document with both signatures, then the audit trail, which now ends with
# `completed`:

# %%
pages = page_texts(final)
print(len(pages), "pages; signed by", signatures_on(final))
print()
print(pages[-1])

# %% [markdown]
# `client.files(..., path="nda.pdf")` writes the bytes to a file instead. The API also serves
# a zip (one PDF per document, each with the audit page), a data URI
# (`client.files_as_data_uri`) and a temporary link (`client.file_url`); all of them follow
# the same `409` rule. The zip of this one-document request:

# %%
archive = ZipFile(BytesIO(client.files(request_id, file_type="zip")))
archive.namelist(), audit_status(archive.read(archive.namelist()[0]))

# %% [markdown]
# ## Every download, side by side
#
# What the same call returned at each moment of the request's life:

# %%
pd.DataFrame(downloads).set_index("moment")[["answer", "audit", "signed by"]].fillna("")

# %% [markdown]
# And the callbacks that marked those moments, sorted by `event_time` (callbacks can arrive
# out of order). Several events share a second here, so the tie is broken by the order of a
# request's life (`hsnb.analysis.EVENT_ORDER`) rather than by the `event_type` column's own
# order, which is the API's list of event types:

# %%
events = listener.events()
events["event_type"] = events["event_type"].cat.reorder_categories(EVENT_ORDER)
events = events.sort_values(["event_time", "event_type", "signer_name"], ignore_index=True)
events[["event_time", "event_type", "signer_name", "is_complete"]]

# %% [markdown]
# **Answer:** download after `signature_request_downloadable`, once. After a single
# `signature_request_signed` you get a real PDF that is not the signed document (a signature
# missing, the audit trail not completed); while a version is being prepared, including just
# after `signature_request_all_signed`, the API answers `409 conflict`.
#
# Stop the servers when done; the events stay readable. Next:
# [05 · Event timings →](05-Event-Timings.ipynb)

# %%
listener.stop()
emulator.stop()
len(listener.events()), listener.running, emulator.running
