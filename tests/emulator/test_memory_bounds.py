"""Uploads are released once processing ends, and what the emulator keeps stays bounded: the
rendered copies it caches and the snapshots behind expired file links."""

from __future__ import annotations

from hsnb.emulator.service.files import MAX_CACHED_COPIES
from tests.emulator.helpers import Harness


def test_uploads_are_released_once_the_request_is_sent(harness: Harness):
    sr = harness.create()
    assert sr.uploads  # held until processing reads them
    harness.clock.advance(60)
    assert harness.types(sr.signature_request_id) == ["signature_request_sent"]
    assert sr.uploads == []
    data, _, _ = harness.backend.files(harness.account, sr.signature_request_id)
    assert data.startswith(b"%PDF")  # copies come from the documents read


def test_a_failed_request_keeps_nothing(harness: Harness):
    sr = harness.create(document_name="not-a-pdf.bin", count=1)
    harness.clock.advance(60)
    assert harness.types(sr.signature_request_id) == ["file_error"]
    assert (sr.uploads, sr.documents) == ([], ())


def test_the_copy_cache_is_bounded(harness: Harness):
    ids = [harness.sent(count=1).signature_request_id for _ in range(MAX_CACHED_COPIES + 4)]
    for request_id in ids:
        harness.backend.files(harness.account, request_id)
    assert len(harness.backend._copies) == MAX_CACHED_COPIES
    assert (ids[-1], "pdf") in harness.backend._copies
    assert (ids[0], "pdf") not in harness.backend._copies


def test_an_expired_file_link_releases_its_snapshot(harness: Harness):
    request_id = harness.sent(count=1).signature_request_id
    first = harness.backend.files_link(harness.account, request_id)
    harness.clock.advance(harness.backend.config.file_url_ttl + 1)
    harness.backend.files_link(harness.account, request_id)
    assert first.token not in harness.backend.file_links
    assert len(harness.backend.file_links) == 1
