"""The template methods of Client against the running emulator, over real HTTP."""

from __future__ import annotations

import base64

import pytest

from hsnb.client import BadRequest, Client, NotFound, Template
from hsnb.client.encoding import role_dicts, role_signer_dicts
from hsnb.listener import Listener
from tests.client.conftest import NDA, WAIT

ROLES = ("Client", "Witness")
PEOPLE = {"Client": ("Jack Doe", "jack@example.com"), "Witness": ("Jill Doe", "jill@example.com")}


def ready(client: Client, listener: Listener, **kwargs) -> Template:
    """A template of the two-signer NDA that reached ``template_created``."""
    kwargs.setdefault("title", "NDA")
    template = client.create_template([NDA], ROLES, **kwargs)
    event = listener.wait_for(["template_created", "template_error"], timeout=WAIT)
    assert (event.event_type, event.template["template_id"]) == (
        "template_created",
        template.template_id,
    )
    return template


# -- encoding and the model -----------------------------------------------------------------


def test_roles_are_names_or_dicts():
    assert role_dicts(["Client", {"name": "Witness", "order": 1}]) == [
        {"name": "Client"},
        {"name": "Witness", "order": 1},
    ]


def test_a_role_of_another_type_is_refused():
    with pytest.raises(TypeError, match="signer role"):
        role_dicts([3])


def test_signers_keyed_by_role_get_their_role():
    assert role_signer_dicts(
        {"Client": ("Jack", "j@example.com"), "Witness": {"name": "Jill"}}
    ) == [
        {"role": "Client", "name": "Jack", "email_address": "j@example.com"},
        {"role": "Witness", "name": "Jill"},
    ]


def test_template_from_an_id_only_answer_is_lenient():
    template = Template.from_json({"template_id": "abc"})
    assert (template.template_id, template.title, template.signer_roles) == ("abc", None, ())


# -- create, get, list, delete --------------------------------------------------------------


def test_create_template_answers_with_the_id_only(client, exchanges):
    template = client.create_template([NDA], ROLES, title="NDA", cc_roles=["Manager"])
    assert len(template.template_id) == 40 and template.title is None
    sent = exchanges[-1]
    assert (sent.path, sent.uploads[0].filename) == ("/template/create", NDA.name)
    assert sent.form["signer_roles"] == '[{"name":"Client"},{"name":"Witness"}]'
    assert (sent.form["cc_roles"], sent.form["test_mode"]) == ('["Manager"]', "true")


def test_template_created_then_get_template(client, listener):
    template = ready(client, listener, message="Please sign", metadata={"case": "42"})
    got = client.get_template(template.template_id)
    assert (got.template_id, got.title, got.message) == (template.template_id, "NDA", "Please sign")
    assert (got.signer_roles, got.documents, got.metadata) == (ROLES, (NDA.name,), {"case": "42"})
    assert got.is_creator is True
    assert got.raw["signer_roles"] == [
        {"name": "Client", "order": 0},  # a role without an order shows its position
        {"name": "Witness", "order": 1},
    ]


def test_signer_roles_as_dicts_keep_their_order(client, listener):
    roles = [{"name": "Client", "order": 0}, {"name": "Witness", "order": 1}]
    template = client.create_template([NDA], roles)
    listener.wait_for("template_created", timeout=WAIT)
    assert client.get_template(template.template_id).raw["signer_roles"] == roles


def test_cc_roles_are_names(client, listener):
    template = ready(client, listener, cc_roles=["Manager"])
    assert client.get_template(template.template_id).cc_roles == ("Manager",)


def test_a_data_url_template_is_processed(client, exchanges, listener):
    url = "data:application/pdf;base64," + base64.b64encode(NDA.read_bytes()).decode()
    template = client.create_template(url, ROLES)
    assert exchanges[-1].json_body["file_urls"] == [url]
    event = listener.wait_for(["template_created", "template_error"], timeout=WAIT)
    assert (event.event_type, event.template["template_id"]) == (
        "template_created",
        template.template_id,
    )


def test_create_template_without_roles_is_refused(client):
    with pytest.raises(BadRequest) as caught:
        client.create_template([NDA], [])
    assert (caught.value.error_msg, caught.value.error_path) == (
        "signer_roles is required.",
        "signer_roles",
    )


def test_list_templates_every_page_newest_first(client, exchanges):
    ids = [client.create_template([NDA], ROLES, title=f"T{i}").template_id for i in range(3)]
    listed = [t.template_id for t in client.list_templates(page_size=2)]
    assert listed == ids[::-1]
    pages = [e.params["page"] for e in exchanges if e.path == "/template/list"]
    assert pages == [1, 2]


def test_list_templates_is_lazy_and_bounded_by_max_pages(client, exchanges):
    for i in range(3):
        client.create_template([NDA], ROLES, title=f"T{i}")
    before = len(exchanges)
    listed = list(client.list_templates(page_size=2, max_pages=1))
    assert (len(listed), len(exchanges) - before) == (2, 1)


def test_list_templates_with_a_query(client):
    client.create_template([NDA], ROLES, title="Lease")
    client.create_template([NDA], ROLES, title="NDA")
    assert [t.title for t in client.list_templates(query="lease")] == ["Lease"]


def test_delete_template_then_get_is_not_found(client, listener):
    template = ready(client, listener)
    assert client.delete_template(template.template_id) is None
    with pytest.raises(NotFound) as caught:
        client.get_template(template.template_id)
    assert caught.value.error_name == "not_found"
    assert list(client.list_templates()) == []


# -- requests from a template ---------------------------------------------------------------


def test_send_with_template_one_signer_per_role(client, listener, exchanges):
    template = ready(client, listener)
    signers = {"Witness": {"name": "Jill Doe", "email_address": "jill@example.com"}}
    signers["Client"] = PEOPLE["Client"]
    sr = client.send_with_template(template.template_id, signers, ccs={"Manager": "m@example.com"})
    body = exchanges[-1].json_body
    assert (body["template_ids"], body["test_mode"]) == ([template.template_id], True)
    assert body["ccs"] == [{"role": "Manager", "email_address": "m@example.com"}]
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    got = client.get(sr.signature_request_id)
    assert got.raw["template_ids"] == [template.template_id]
    assert [(s.raw["signer_role"], s.signer_name) for s in got.signatures] == [
        ("Client", "Jack Doe"),
        ("Witness", "Jill Doe"),
    ]
    assert got.title == "NDA"


def test_send_with_template_takes_a_list_of_ids_and_a_title(client, listener):
    template = ready(client, listener)
    sr = client.send_with_template([template.template_id], PEOPLE, title="Deal")
    assert (sr.title, sr.raw["template_ids"]) == ("Deal", [template.template_id])


def test_create_embedded_with_template_uses_the_default_app(client, listener, emulator):
    template = ready(client, listener)
    sr = client.create_embedded_with_template(template.template_id, PEOPLE)
    assert sr.client_id == emulator.client_id
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    assert client.sign_url(sr.signature_ids[0]).sign_url


def test_unknown_template_is_not_found(client):
    with pytest.raises(NotFound) as caught:
        client.send_with_template("0" * 40, PEOPLE)
    assert (caught.value.status, caught.value.error_name) == (404, "not_found")


def test_missing_role_is_named(client, listener):
    template = ready(client, listener)
    with pytest.raises(BadRequest) as caught:
        client.send_with_template(template.template_id, {"Client": PEOPLE["Client"]})
    error = caught.value
    assert (error.error_name, error.error_msg, error.error_path) == (
        "bad_request",
        "Missing signer for role: Witness",
        "signers",
    )


def test_deleted_template_cannot_be_used(client, listener):
    template = ready(client, listener)
    client.delete_template(template.template_id)
    with pytest.raises(NotFound):
        client.send_with_template(template.template_id, PEOPLE)
