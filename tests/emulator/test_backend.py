"""The emulated service's rules, on the model layer (no HTTP): requests, events, errors."""

from __future__ import annotations

import pytest

from hsnb import errors as ex
from hsnb.emulator.service.clock import DEFAULT_EPOCH
from hsnb.emulator.service.documents import pdf_text
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus
from tests.emulator.helpers import signers, upload

# -- processing --------------------------------------------------------------------------


def test_create_answers_processing_and_sends_nothing_yet(harness):
    sr = harness.create()
    assert sr.state is RequestState.PROCESSING
    assert harness.deliveries == []


def test_good_document_sends_signature_request_sent_after_the_processing_delay(harness):
    sr = harness.create()
    harness.clock.advance(2)
    assert harness.types() == ["signature_request_sent"]
    assert harness.deliveries[0].event_time == DEFAULT_EPOCH + 2
    assert sr.state is RequestState.AWAITING_SIGNATURE


def test_same_seed_gives_same_ids_and_event_times(make_harness):
    runs = []
    for _ in range(2):
        h = make_harness(seed=7, processing_delay="uniform:1,5")
        sr = h.create()
        h.clock.advance(10)
        runs.append(
            (
                sr.signature_request_id,
                [s.signature_id for s in sr.signers],
                h.deliveries[0].event_time,
            )
        )
    assert runs[0] == runs[1]


def test_malformed_tag_gives_file_error_and_no_sent(harness):
    sr = harness.sent(document_name="malformed-tag.pdf", count=1)
    assert harness.types() == ["file_error"]
    assert sr.has_error
    assert {s.status for s in sr.signers} == {SignerStatus.ERROR_TEXT_TAG}
    assert harness.deliveries[0].payload["event"]["event_metadata"]["event_message"]


def test_tag_for_a_signer_not_passed_gives_signature_request_invalid_naming_it(harness):
    sr = harness.sent(document_name="signer-mismatch.pdf", count=2)
    assert harness.types() == ["signature_request_invalid"]  # "depending on the reason"
    assert "signer3" in sr.signers[0].error


def test_ignore_text_tags_extraction_errors_sends_anyway(harness):
    sr = harness.sent(
        document_name="malformed-tag.pdf", count=1, ignore_text_tags_extraction_errors=True
    )
    assert harness.types() == ["signature_request_sent"]
    assert not sr.has_error


def test_tags_are_not_checked_without_use_text_tags(harness):
    harness.sent(document_name="signer-mismatch.pdf", count=1, use_text_tags=False)
    assert harness.types() == ["signature_request_sent"]


def test_unreadable_file_gives_file_error_with_error_file(harness):
    sr = harness.sent(document_name="not-a-pdf.bin", count=1)
    assert harness.types() == ["file_error"]
    assert sr.signers[0].status is SignerStatus.ERROR_FILE


def test_text_tag_error_event_is_configurable(make_harness):
    h = make_harness(text_tag_error_event="signature_request_invalid")
    h.sent(document_name="malformed-tag.pdf", count=1)
    assert h.types() == ["signature_request_invalid"]


def test_plain_text_document_is_accepted_with_a_warning(harness):
    sr = harness.sent(document_name="letter.txt", count=1)
    assert harness.types() == ["signature_request_sent"]
    assert sr.warnings[0]["warning_name"] == "non_pdf_text_tags"


def test_processing_fault_injection(harness):
    harness.backend.faults.add("processing", "unknown_error")
    sr = harness.sent()
    assert harness.types() == ["unknown_error"]
    assert sr.signers[0].status is SignerStatus.ERROR_UNKNOWN


# -- signers ---------------------------------------------------------------------------------


def test_two_signers_give_two_signed_then_all_signed_then_downloadable(harness):
    sr = harness.sent()
    for signer in sr.signers:
        harness.backend.sign(signer.signature_id)
    assert harness.types()[1:] == [
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]
    signed = [d for d in harness.deliveries if d.event_type == "signature_request_signed"]
    assert [d.related_signature_id for d in signed] == [s.signature_id for s in sr.signers]
    assert sr.is_complete


def test_downloadable_waits_for_the_file_preparation(make_harness):
    h = make_harness(file_prep_delay=5)
    sr = h.sent(count=1)
    h.backend.sign(sr.signers[0].signature_id)
    assert h.types()[-1] == "signature_request_all_signed"
    h.clock.advance(5)
    assert h.types()[-1] == "signature_request_downloadable"


def test_view_is_reported_once(harness):
    sr = harness.sent(count=1)
    harness.backend.view(sr.signers[0].signature_id)
    harness.backend.view(sr.signers[0].signature_id)
    assert harness.types().count("signature_request_viewed") == 1


def test_signing_delay_moves_emulated_time(make_harness):
    h = make_harness(signing_delay=30)
    sr = h.sent(count=1)
    h.backend.sign(sr.signers[0].signature_id)
    assert sr.signers[0].status is SignerStatus.AWAITING_SIGNATURE
    h.clock.advance(30)
    assert sr.signers[0].status is SignerStatus.SIGNED
    assert sr.signers[0].signed_at - sr.signers[0].last_viewed_at == 30


def test_signing_twice_is_a_conflict(harness):
    sr = harness.sent(count=2)
    harness.backend.sign(sr.signers[0].signature_id)
    with pytest.raises(ex.Conflict, match="already been signed"):
        harness.backend.sign(sr.signers[0].signature_id)


def test_decline_needs_allow_decline(harness):
    sr = harness.sent(count=1)
    with pytest.raises(ex.BadRequest, match="does not allow declining"):
        harness.backend.decline(sr.signers[0].signature_id, "no")


def test_decline_sends_the_reason(harness):
    sr = harness.sent(count=2, allow_decline=True)
    harness.backend.decline(sr.signers[1].signature_id, "Wrong address")
    declined = harness.deliveries[-1]
    assert declined.event_type == "signature_request_declined"
    assert declined.payload["event"]["event_metadata"]["event_message"] == "Wrong address"
    assert declined.related_signature_id == sr.signers[1].signature_id
    assert sr.is_declined and sr.signers[1].decline_reason == "Wrong address"


def test_unknown_signature_is_not_found(harness):
    with pytest.raises(ex.NotFound, match="Signature not found"):
        harness.backend.sign("0" * 32)


# -- sign URLs -------------------------------------------------------------------------------


def test_sign_url_before_processing_finished_cannot_be_signed_yet(harness):
    sr = harness.create()
    with pytest.raises(ex.Conflict, match="This request cannot be signed yet"):
        harness.backend.sign_url(harness.account, sr.signers[0].signature_id)


def test_sign_url_works_once(harness):
    sr = harness.sent()
    signature_id = sr.signers[0].signature_id
    link = harness.backend.sign_url(harness.account, signature_id)
    harness.backend.open_sign_url(signature_id, link.token)
    with pytest.raises(ex.Deleted, match="already been used"):
        harness.backend.open_sign_url(signature_id, link.token)
    assert harness.types()[-1] == "sign_url_invalid"


def test_sign_url_expires(harness):
    sr = harness.sent()
    signature_id = sr.signers[0].signature_id
    link = harness.backend.sign_url(harness.account, signature_id)
    harness.clock.advance(3601)
    with pytest.raises(ex.Deleted, match="has expired"):
        harness.backend.open_sign_url(signature_id, link.token)


def test_sign_page_session_signs_once(harness):
    sr = harness.sent()
    signature_id = sr.signers[0].signature_id
    link = harness.backend.sign_url(harness.account, signature_id)
    session = harness.backend.open_sign_url(signature_id, link.token)
    harness.backend.act_in_session(session, "sign")
    assert sr.signers[0].status is SignerStatus.SIGNED
    with pytest.raises(ex.Deleted, match="session has ended"):
        harness.backend.act_in_session(session, "sign")


def test_sign_url_for_a_non_embedded_request_is_refused(harness):
    sr = harness.sent(embedded=False)
    with pytest.raises(ex.BadRequest, match="not created for embedded signing"):
        harness.backend.sign_url(harness.account, sr.signers[0].signature_id)


# -- files -----------------------------------------------------------------------------------


def test_files_are_a_conflict_while_processing(harness):
    sr = harness.create()
    with pytest.raises(ex.Conflict, match="being prepared"):
        harness.backend.files(harness.account, sr.signature_request_id)


def test_files_are_a_conflict_while_a_signed_version_is_prepared(make_harness):
    h = make_harness(file_prep_delay=3)
    sr = h.sent()
    h.backend.sign(sr.signers[0].signature_id)
    with pytest.raises(ex.Conflict):
        h.backend.files(h.account, sr.signature_request_id)
    h.clock.advance(3)
    assert h.backend.files(h.account, sr.signature_request_id)[1] == "application/pdf"


def test_copy_before_all_signed_is_incomplete(harness):
    sr = harness.sent()
    harness.backend.sign(sr.signers[0].signature_id)
    data, _, _ = harness.backend.files(harness.account, sr.signature_request_id)
    text = pdf_text(data)
    assert "Status: awaiting_signature" in text
    assert "jack@example.com" in text and "signed jill@example.com" not in text


def test_final_copy_says_completed(harness):
    sr = harness.sent()
    for signer in sr.signers:
        harness.backend.sign(signer.signature_id)
    data, _, _ = harness.backend.files(harness.account, sr.signature_request_id)
    assert "Status: completed" in pdf_text(data)


def test_zip_copy(harness):
    sr = harness.sent()
    data, content_type, name = harness.backend.files(
        harness.account, sr.signature_request_id, "zip"
    )
    assert data.startswith(b"PK") and content_type == "application/zip" and name.endswith(".zip")


def test_unknown_file_type_is_a_bad_request(harness):
    sr = harness.sent()
    with pytest.raises(ex.BadRequest, match="file_type must be pdf or zip"):
        harness.backend.files(harness.account, sr.signature_request_id, "docx")


def test_failed_request_has_no_files(harness):
    sr = harness.sent(document_name="not-a-pdf.bin", count=1)
    with pytest.raises(ex.NotFound, match="failed processing"):
        harness.backend.files(harness.account, sr.signature_request_id)


def test_file_link_serves_a_snapshot(harness):
    sr = harness.sent()
    link = harness.backend.files_link(harness.account, sr.signature_request_id)
    assert harness.backend.open_file_link(link.token).data.startswith(b"%PDF")


def test_data_uri(harness):
    sr = harness.sent()
    uri = harness.backend.files_data_uri(harness.account, sr.signature_request_id)
    assert uri.startswith("data:application/pdf;base64,JVBER")


# -- cancel and remind -----------------------------------------------------------------------


def test_cancel_answers_410_afterwards_and_sends_canceled(harness):
    sr = harness.sent()
    harness.backend.cancel(harness.account, sr.signature_request_id)
    harness.clock.advance(0)
    assert harness.types()[-1] == "signature_request_canceled"
    with pytest.raises(ex.Deleted, match="has been deleted"):
        harness.backend.get_signature_request(harness.account, sr.signature_request_id)


def test_cancel_while_processing_fails(harness):
    sr = harness.create()
    with pytest.raises(ex.SignatureRequestCancelFailed, match="not been sent yet") as info:
        harness.backend.cancel(harness.account, sr.signature_request_id)
    assert info.value.error_name == "signature_request_cancel_failed"


def test_cancel_of_a_complete_request_fails(harness):
    sr = harness.sent(count=1)
    harness.backend.sign(sr.signers[0].signature_id)
    with pytest.raises(ex.SignatureRequestCancelFailed, match="it is complete"):
        harness.backend.cancel(harness.account, sr.signature_request_id)


def test_signing_after_cancel_is_gone(harness):
    sr = harness.sent()
    harness.backend.cancel(harness.account, sr.signature_request_id)
    with pytest.raises(ex.Deleted, match="canceled"):
        harness.backend.sign(sr.signers[0].signature_id)


def test_cancel_drops_a_pending_signature(make_harness):
    h = make_harness(signing_delay=30)
    sr = h.sent(count=1)
    h.backend.sign(sr.signers[0].signature_id)
    h.backend.cancel(h.account, sr.signature_request_id)
    h.clock.advance(60)
    assert "signature_request_signed" not in h.types()
    assert h.clock.errors == []


def test_remind_embedded_is_invalid(harness):
    sr = harness.sent()
    with pytest.raises(ex.InvalidReminder, match="embedded"):
        harness.backend.remind(harness.account, sr.signature_request_id, "jack@example.com")


def test_remind_once_per_hour(harness):
    sr = harness.sent(embedded=False)
    harness.backend.remind(harness.account, sr.signature_request_id, "jack@example.com")
    assert harness.types()[-1] == "signature_request_remind"
    with pytest.raises(ex.InvalidReminder, match="within the last hour"):
        harness.backend.remind(harness.account, sr.signature_request_id, "jack@example.com")


# -- list, validation, auth, account, apps, reset ----------------------------------------------


def test_list_pages_newest_first(harness):
    ids = [harness.create().signature_request_id for _ in range(3)]
    page, total = harness.backend.list_signature_requests(harness.account, page=1, page_size=2)
    assert total == 3
    assert [sr.signature_request_id for sr in page] == ids[::-1][:2]


def test_list_page_size_bounds(harness):
    with pytest.raises(ex.BadRequest, match="page_size must be between 1 and 100"):
        harness.backend.list_signature_requests(harness.account, page_size=101)


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"client_id": None}, "client_id", "client_id is required"),
        ({"client_id": "nope"}, "client_id", "Invalid client_id"),
        ({"signers": []}, "signers", "at least one signer"),
        ({"files": []}, "files", "Must specify files"),
        ({"file_urls": ["https://example.com/a.pdf"]}, "file_urls", "not both"),
        ({"file_urls": ["ftp://example.com/a.pdf"], "files": []}, "file_urls[0]", "Invalid url"),
        (
            {"signers": [{"name": "A", "email_address": "nope"}]},
            "signers[0].email_address",
            "Invalid email",
        ),
        ({"title": "x" * 256}, "title", "at most 255"),
        ({"expires_at": DEFAULT_EPOCH + 60}, "expires_at", "between 1 and 90 days"),
    ],
)
def test_bad_create_parameters(harness, params, path, message):
    body = {
        "client_id": harness.backend.default_app.client_id,
        "files": [upload()],
        "signers": signers(1),
        **params,
    }
    with pytest.raises(ex.BadRequest, match=message) as info:
        harness.backend.create_signature_request(harness.account, body, embedded=True)
    assert info.value.error_path == path


def test_unknown_api_key_is_unauthorized(harness):
    with pytest.raises(ex.Unauthorized, match="Unauthorized api key"):
        harness.backend.authenticate(api_key="wrong")


def test_no_credentials_is_unauthorized_with_the_spec_message(harness):
    with pytest.raises(ex.Unauthorized, match="No credentials supplied"):
        harness.backend.authenticate()


def test_bearer_token_authenticates(harness):
    assert harness.backend.authenticate(bearer=harness.backend.access_token) is harness.account


def test_invalid_account_callback_url(harness):
    with pytest.raises(ex.BadRequest, match="Invalid url for callback_url : foo"):
        harness.backend.update_account(harness.account, {"callback_url": "foo"})


def test_app_callback_is_a_second_delivery_reported_for_the_app(harness):
    harness.backend.update_app(
        harness.account, harness.backend.default_app.client_id, {"callback_url": "http://a/b"}
    )
    harness.sent()
    account_cb, app_cb = harness.deliveries
    assert account_cb.payload["event"]["event_metadata"]["reported_for_account_id"]
    assert app_cb.url == "http://a/b"
    metadata = app_cb.payload["event"]["event_metadata"]
    assert metadata["reported_for_app_id"] == harness.backend.default_app.client_id
    assert app_cb.payload["client_id"] == harness.backend.default_app.client_id


def test_api_app_needs_name_and_domains(harness):
    with pytest.raises(ex.BadRequest, match="domains is required") as info:
        harness.backend.create_app(harness.account, {"name": "x"})
    assert info.value.error_path == "domains"


def test_deleted_app_is_not_found(harness):
    app = harness.backend.create_app(harness.account, {"name": "x", "domains": ["a.com"]})
    harness.backend.delete_app(harness.account, app.client_id)
    with pytest.raises(ex.NotFound, match="API app not found"):
        harness.backend.get_app(harness.account, app.client_id)


def test_callback_test_payload_holds_only_the_event(harness):
    delivery = harness.backend.callback_test(harness.account)
    assert set(delivery.payload) == {"event"}
    assert delivery.payload["event"]["event_type"] == "callback_test"


def test_callback_test_without_a_url_is_a_bad_request(harness):
    harness.backend.update_account(harness.account, {"callback_url": ""})
    with pytest.raises(ex.BadRequest, match="No callback URL is set"):
        harness.backend.callback_test(harness.account)


def test_reset_keeps_the_key_and_repeats_the_ids(harness):
    key = harness.account.api_key
    first = harness.create().signature_request_id
    harness.backend.reset()
    assert harness.account.api_key == key
    assert harness.backend.requests == {}
    assert harness.create().signature_request_id == first


def test_signed_events_carry_the_signature_request_in_the_payload(harness):
    sr = harness.sent(count=1)
    harness.backend.sign(sr.signers[0].signature_id)
    payload = harness.deliveries[-1].payload
    assert payload["signature_request"]["is_complete"] is True
    assert payload["account_guid"] == harness.account.account_id
