"""Templates: create, get, list, delete, the template events, and requests made from templates.

First the backend on a manual clock, then the same over HTTP (bracket multipart, as curl sends
it), then the official SDK with ``EventCallbackHelper.is_valid`` on the template callbacks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from dropbox_sign import ApiClient, ApiException, Configuration, EventCallbackHelper, apis, models
from dropbox_sign.models import EventCallbackRequest

from hsnb.emulator import Emulator
from hsnb.emulator.service.documents import pdf_text
from hsnb.errors import BadRequest, Conflict, NotFound
from hsnb.testing import Receiver
from tests.emulator.helpers import DOCUMENTS, FAST, Harness, document, upload

WAIT = 10
ROLES = [{"name": "Client", "order": None}, {"name": "Witness", "order": None}]
PEOPLE = {
    "Client": {"name": "Jack", "email_address": "jack@example.com"},
    "Witness": {"name": "Jill", "email_address": "jill@example.com"},
}


def make_template(harness: Harness, name: str = "nda-two-signers.pdf", **params):
    """template/create with ``name`` and the two roles; processed unless ``advance=False``."""
    advance = params.pop("advance", True)
    body = {"files": [upload(name)], "signer_roles": ROLES, "title": "NDA", **params}
    template = harness.backend.create_template(harness.account, body)
    if advance:
        harness.clock.advance(60)
    return template


def role_signers(*roles: str) -> list[dict[str, str]]:
    """``signers[]`` keyed by role, in the order given."""
    return [{"role": role, **PEOPLE[role]} for role in roles]


def from_template(harness: Harness, template_id: str, **params):
    """send_with_template with both roles filled (given in reverse order)."""
    body = {"template_ids": [template_id], "signers": role_signers("Witness", "Client"), **params}
    embedded = body.pop("embedded", False)
    return harness.backend.create_from_template(harness.account, body, embedded=embedded)


# -- backend ------------------------------------------------------------------------------


def test_template_is_processing_until_template_created(harness):
    template = make_template(harness, advance=False)
    assert (template.state, harness.types()) == ("processing", [])
    harness.clock.advance(60)
    assert (template.state, harness.types()) == ("ready", ["template_created"])


def test_template_created_carries_the_template_object(harness):
    template = make_template(harness, cc_roles=["Manager"], metadata={"k": "v"})
    payload = harness.deliveries[-1].payload
    assert "signature_request" not in payload
    sent = payload["template"]
    assert sent["template_id"] == template.template_id
    assert sent["signer_roles"] == [{**role, "order": i} for i, role in enumerate(ROLES)]
    assert sent["cc_roles"] == [{"name": "Manager"}]
    assert sent["metadata"] == {"k": "v"}
    assert sent["accounts"][0]["account_id"] == harness.account.account_id
    (doc,) = sent["documents"]
    assert doc["name"] == "nda-two-signers.pdf"
    assert {field["signer"] for field in doc["form_fields"]} == {"1", "2"}
    assert "signature" in {field["type"] for field in doc["form_fields"]}


def test_tag_naming_a_missing_role_gives_template_error(harness):
    template = make_template(harness, signer_roles=[{"name": "Client"}])
    assert (template.state, harness.types()) == ("error", ["template_error"])
    message = harness.deliveries[-1].payload["event"]["event_metadata"]["event_message"]
    assert "signer2" in message and message == template.error


def test_unreadable_document_gives_template_error(harness):
    template = make_template(harness, "not-a-pdf.bin")
    assert (template.state, harness.types()) == ("error", ["template_error"])
    assert "not-a-pdf.bin" in template.error


def test_a_reader_crash_still_ends_the_template_with_template_error(harness, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("reader bug")

    monkeypatch.setattr(
        "hsnb.emulator.service.templates.docs.load_document", crash
    )  # a bug, on demand
    template = make_template(harness)
    assert (template.state, harness.types()) == ("error", ["template_error"])
    assert template.error == "Unexpected error while processing: reader bug"


def test_template_create_needs_signer_roles(harness):
    with pytest.raises(BadRequest) as info:
        make_template(harness, signer_roles=[])
    assert info.value.error_path == "signer_roles"


def test_template_create_needs_documents(harness):
    with pytest.raises(BadRequest) as info:
        make_template(harness, files=[])
    assert info.value.error_msg == "Must specify files or file_urls."


def test_list_pages_newest_first_and_delete_forgets(harness):
    ids = [make_template(harness, title=f"T{i}").template_id for i in range(3)]
    page, total = harness.backend.list_templates(harness.account, page=1, page_size=2)
    assert ([t.template_id for t in page], total) == (ids[::-1][:2], 3)
    harness.backend.delete_template(harness.account, ids[0])
    with pytest.raises(NotFound):
        harness.backend.get_template(harness.account, ids[0])
    assert harness.backend.list_templates(harness.account)[1] == 2


def test_request_from_template_is_sent_with_signers_in_role_order(harness):
    template = make_template(harness)
    sr = from_template(harness, template.template_id)
    harness.clock.advance(60)
    assert harness.types(sr.signature_request_id) == ["signature_request_sent"]
    assert sr.template_ids == [template.template_id]
    assert [(s.role, s.name) for s in sr.signers] == [("Client", "Jack"), ("Witness", "Jill")]
    assert (sr.title, sr.file_urls) == ("NDA", [])


def test_request_from_template_completes_with_signatures_on_the_copy(harness):
    template = make_template(harness)
    sr = from_template(harness, template.template_id, title="Deal")
    harness.clock.advance(60)
    for signer in sr.signers:
        harness.backend.sign(signer.signature_id)
    harness.clock.advance(60)
    assert harness.types(sr.signature_request_id)[-2:] == [
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]
    data, _, _ = harness.backend.files(harness.account, sr.signature_request_id, "pdf")
    text = pdf_text(data)
    assert "Jack" in text and "Jill" in text and "Status: completed" in text


def test_unknown_template_is_not_found(harness):
    with pytest.raises(NotFound):
        from_template(harness, "0" * 40)


def test_role_without_signer_is_named(harness):
    template = make_template(harness)
    with pytest.raises(BadRequest) as info:
        from_template(harness, template.template_id, signers=role_signers("Client"))
    assert info.value.error_msg == "Missing signer for role: Witness"


def test_signer_for_unknown_role_is_refused(harness):
    template = make_template(harness)
    signers = [*role_signers("Client", "Witness"), {"role": "Boss", **PEOPLE["Client"]}]
    with pytest.raises(BadRequest) as info:
        from_template(harness, template.template_id, signers=signers)
    assert info.value.error_path == "signers[2].role"


def test_template_still_processing_is_a_conflict(harness):
    template = make_template(harness, advance=False)
    with pytest.raises(Conflict) as info:
        from_template(harness, template.template_id)
    assert "still being processed" in str(info.value)


def test_failed_template_cannot_be_used(harness):
    template = make_template(harness, "not-a-pdf.bin")
    with pytest.raises(BadRequest) as info:
        from_template(harness, template.template_id)
    assert "could not be created" in str(info.value)


def test_several_templates_are_not_supported(harness):
    first, second = make_template(harness), make_template(harness)
    with pytest.raises(BadRequest) as info:
        from_template(
            harness, first.template_id, template_ids=[first.template_id, second.template_id]
        )
    assert info.value.error_path == "template_ids"


def test_embedded_from_template_needs_client_id(harness):
    template = make_template(harness)
    with pytest.raises(BadRequest) as info:
        from_template(harness, template.template_id, embedded=True)
    assert info.value.error_path == "client_id"


def test_embedded_from_template_gives_an_embedded_request(harness):
    template = make_template(harness)
    client_id = harness.backend.default_app.client_id
    sr = from_template(harness, template.template_id, embedded=True, client_id=client_id)
    assert (sr.is_embedded, sr.client_id, sr.template_ids) == (
        True,
        client_id,
        [template.template_id],
    )


def test_reset_forgets_templates(harness):
    template = make_template(harness)
    harness.backend.reset()
    with pytest.raises(NotFound):
        harness.backend.get_template(harness.account, template.template_id)


# -- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[Emulator, Receiver]]:
    """A fast emulator whose account and app callbacks go to one receiver."""
    receiver = Receiver()
    with Emulator(**FAST, callback_url=receiver.url, app_callback_url=receiver.url) as emulator:
        yield emulator, receiver
        assert emulator.clock.errors == []
    receiver.stop()


def call(emulator: Emulator, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method, emulator.api_url + path, auth=(emulator.api_key, ""), timeout=WAIT, **kwargs
    )


def create_over_http(emulator: Emulator) -> str:
    """template/create in bracket multipart; the new template's id."""
    data = {
        "title": "NDA",
        "signer_roles[0][name]": "Client",
        "signer_roles[1][name]": "Witness",
        "cc_roles[0]": "Manager",
    }
    files = {"files[0]": ("nda.pdf", document("nda-two-signers.pdf"), "application/pdf")}
    response = call(emulator, "POST", "/template/create", data=data, files=files)
    assert response.status_code == 200, response.text
    return response.json()["template"]["template_id"]


def test_http_template_create_get_list_delete(served):
    emulator, receiver = served
    template_id = create_over_http(emulator)
    (received,) = receiver.wait_for(1, timeout=WAIT)
    assert received.event_type == "template_created"
    got = call(emulator, "GET", f"/template/{template_id}").json()["template"]
    assert got == received.payload["template"]
    listing = call(emulator, "GET", "/template/list", params={"page_size": 5}).json()
    assert [t["template_id"] for t in listing["templates"]] == [template_id]
    assert listing["list_info"]["num_results"] == 1
    assert call(emulator, "POST", f"/template/delete/{template_id}").json() == {}
    gone = call(emulator, "GET", f"/template/{template_id}")
    assert (gone.status_code, gone.json()["error"]["error_name"]) == (404, "not_found")


def test_http_send_with_template_signers_keyed_by_role(served):
    emulator, receiver = served
    template_id = create_over_http(emulator)
    receiver.wait_for(1, timeout=WAIT)
    data = {"template_ids[0]": template_id, "test_mode": "1"}
    for role, person in PEOPLE.items():
        data[f"signers[{role}][name]"] = person["name"]
        data[f"signers[{role}][email_address]"] = person["email_address"]
    response = call(emulator, "POST", "/signature_request/send_with_template", data=data)
    assert response.status_code == 200, response.text
    sr = response.json()["signature_request"]
    assert sr["template_ids"] == [template_id]
    assert [s["signer_role"] for s in sr["signatures"]] == ["Client", "Witness"]
    receiver.wait_for(2, timeout=WAIT)
    assert receiver.types() == ["template_created", "signature_request_sent"]


def test_http_errors_of_requests_from_templates(served):
    emulator, receiver = served
    path = "/signature_request/send_with_template"
    unknown = call(emulator, "POST", path, json={"template_ids": ["0" * 40], "signers": []})
    assert (unknown.status_code, unknown.json()["error"]["error_name"]) == (404, "not_found")
    template_id = create_over_http(emulator)
    receiver.wait_for(1, timeout=WAIT)
    body = {"template_ids": [template_id], "signers": role_signers("Client")}
    missing = call(emulator, "POST", path, json=body)
    assert missing.status_code == 400
    assert missing.json()["error"] == {
        "error_msg": "Missing signer for role: Witness",
        "error_name": "bad_request",
        "error_path": "signers",
    }


def test_http_template_error_is_a_valid_callback(served):
    emulator, receiver = served
    files = {"files[0]": ("x.bin", document("not-a-pdf.bin"), "application/octet-stream")}
    data = {"signer_roles[0][name]": "Client"}
    assert call(emulator, "POST", "/template/create", data=data, files=files).status_code == 200
    (received,) = receiver.wait_for(1, timeout=WAIT)
    callback = EventCallbackRequest.init(received.payload)
    assert callback.event.event_type == "template_error"
    assert EventCallbackHelper.is_valid(emulator.api_key, callback)
    assert "x.bin" in callback.event.event_metadata.event_message


def test_http_other_template_endpoints_say_they_are_not_emulated(served):
    emulator, _ = served
    response = call(emulator, "POST", "/template/create_embedded_draft", json={})
    assert (response.status_code, response.json()["error"]["error_name"]) == (400, "bad_request")
    assert "is not emulated" in response.json()["error"]["error_msg"]


# -- the official SDK ---------------------------------------------------------------------


def test_sdk_template_create_and_send_with_template(served):
    emulator, receiver = served
    config = Configuration(host=emulator.api_url, username=emulator.api_key)
    with ApiClient(config) as client, open(DOCUMENTS / "nda-two-signers.pdf", "rb") as pdf:
        created = apis.TemplateApi(client).template_create(
            models.TemplateCreateRequest(
                client_id=emulator.client_id,
                files=[pdf],
                title="NDA",
                signer_roles=[
                    models.SubTemplateRole(name="Client", order=0),
                    models.SubTemplateRole(name="Witness", order=1),
                ],
                form_fields_per_document=[],
                test_mode=True,
            )
        )
        template_id = created.template.template_id
        receiver.wait_for(2, timeout=WAIT)  # account and app callbacks
        got = apis.TemplateApi(client).template_get(template_id)
        assert [r.name for r in got.template.signer_roles] == ["Client", "Witness"]
        sent = apis.SignatureRequestApi(client).signature_request_send_with_template(
            models.SignatureRequestSendWithTemplateRequest(
                template_ids=[template_id],
                signers=[
                    models.SubSignatureRequestTemplateSigner(role=role, **person)
                    for role, person in PEOPLE.items()
                ],
                test_mode=True,
            )
        )
        assert sent.signature_request.template_ids == [template_id]
        with pytest.raises(ApiException) as info:
            apis.TemplateApi(client).template_get("f" * 40)
        assert info.value.status == 404
    template_events = [r for r in receiver.received if r.event_type == "template_created"]
    assert len(template_events) == 2
    for received in template_events:
        callback = EventCallbackRequest.init(received.payload)
        assert EventCallbackHelper.is_valid(emulator.api_key, callback)
        assert callback.template.template_id == template_id
    kinds = {
        EventCallbackHelper.get_callback_type(EventCallbackRequest.init(r.payload))
        for r in template_events
    }
    assert kinds == {"account_callback", "app_callback"}
