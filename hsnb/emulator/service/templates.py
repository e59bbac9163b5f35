"""Templates, and signature requests made from them (a part of the Backend).

``template/create`` takes documents (``files`` or ``file_urls``, checked as for a signature
request), ``signer_roles`` (``{name, order}``), ``cc_roles``, ``title``, ``subject``,
``message``, ``metadata``, ``test_mode`` and ``client_id``, and answers at once with the
template id. Processing follows after the drawn ``processing_delay``, like a request's:
``file_urls`` are downloaded, every document is read and scanned for text tags, then
``template_created`` (with the ``template`` object attached) or ``template_error`` (its
``event_message`` says why: an unreadable file, a URL that cannot be used, a malformed tag or a
tag naming a role the template does not have).

Text tags name roles by position: ``signerN`` is the Nth of ``signer_roles`` (1-based). The
documents are always scanned for tags (the spec has no ``use_text_tags`` for templates:
UNCONFIRMED how the real service treats tags in template documents).
``form_fields_per_document`` is kept and shown in the template's ``form_fields`` but not
required and not drawn on copies.

``send_with_template`` / ``create_embedded_with_template`` take ``template_ids`` (one),
``signers`` keyed by ``role`` (a list, or ``signers[Role][name]`` in bracket form), ``ccs``,
and the usual ``title``, ``subject``, ``message``, ``metadata``, ``test_mode``,
``signing_redirect_url``, ``allow_decline``, ``expires_at`` (``title``, ``subject`` and
``message`` default to the template's). The request gets the template's documents and its
signers in role order (a role's ``order`` makes the request ordered), then lives like any
other. Errors: an unknown template 404 ``not_found``; a role without a signer, or a signer for a
role the template lacks, 400 ``bad_request`` naming the role; a template still processing 409
``conflict`` and one that failed 400 ``bad_request`` (both UNCONFIRMED).

Not implemented: several ``template_ids`` in one request (400), embedded templates
(``create_embedded_draft``), ``update_files``, template files, ``add_user``/``remove_user``,
merge fields and ``custom_fields`` values (accepted, ignored), bulk send with a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hsnb.emulator.service import documents as docs
from hsnb.emulator.service.lifecycle import TemplateState, move
from hsnb.emulator.service.models import Account, SignatureRequest, Template
from hsnb.emulator.service.parsing import role_keyed
from hsnb.emulator.service.processing import Loaded, load_documents
from hsnb.emulator.service.requests import RequestsMixin
from hsnb.emulator.service.validation import check_signature_request, page_of
from hsnb.errors import BadRequest, Conflict, NotFound


class TemplatesMixin(RequestsMixin):
    """Templates and requests from templates (see the module docstring)."""

    templates: dict[str, Template]

    def _fresh_state(self) -> None:
        super()._fresh_state()
        self.templates = {}

    def create_template(self, account: Account, params: Mapping[str, Any]) -> Template:
        """Accept ``template/create`` and schedule processing; parameter problems raise 400."""
        client_id = params.get("client_id")
        if client_id:
            self.owned_app(account, client_id)
        roles = _check_roles(params.get("signer_roles") or [])
        probe = {**params, "signers": [{"name": "x", "email_address": "x@example.com"}]}
        fields = check_signature_request(probe, now=self.clock.timestamp())
        now = self.clock.timestamp()
        template = Template(
            template_id=self.random.request_id(),
            account_id=account.account_id,
            created_at=now,
            updated_at=now,
            signer_roles=roles,
            uploads=fields["uploads"],
            file_urls=fields["file_urls"],
            cc_roles=[str(name) for name in params.get("cc_roles") or []],
            client_id=client_id,
            title=fields["title"],
            subject=fields["subject"],
            message=fields["message"],
            metadata=fields["metadata"],
            test_mode=fields["test_mode"],
            form_fields=[dict(f) for f in params.get("form_fields_per_document") or []],
            sequence=self.next_sequence(),
        )
        self.templates[template.template_id] = template
        delay = self.random.draw(self.config.processing_delay)
        self.schedule(delay, "process_template", template.template_id)
        return template

    def get_template(self, account: Account, template_id: str) -> Template:
        """The template (also while processing or after an error); 404 if unknown or deleted."""
        template = self.templates.get(template_id)
        if template is None or template.account_id != account.account_id:
            raise NotFound(f"Template not found: {template_id}")
        return template

    def list_templates(
        self,
        account: Account,
        *,
        page: int = 1,
        page_size: int = 20,
        query: str | None = None,
    ) -> tuple[list[Template], int]:
        """One page of the account's templates, newest first, and the total (``query``: a
        case-insensitive substring of the title, message or id)."""
        needle = (query or "").lower()
        found = [
            t
            for t in self.templates.values()
            if t.account_id == account.account_id
            and any(needle in (text or "").lower() for text in (t.template_id, t.title, t.message))
        ]
        found.sort(key=lambda t: t.sequence, reverse=True)
        return page_of(found, page, page_size)

    def delete_template(self, account: Account, template_id: str) -> None:
        """Forget the template (404 from then on); requests made from it are unaffected."""
        template = self.get_template(account, template_id)
        del self.templates[template.template_id]

    def create_from_template(
        self, account: Account, params: Mapping[str, Any], *, embedded: bool
    ) -> SignatureRequest:
        """``send_with_template`` / ``create_embedded_with_template`` (see the module docstring)."""
        ids = list(params.get("template_ids") or [])
        if not ids and params.get("template_id"):
            ids = [params["template_id"]]
        if not ids:
            raise BadRequest("template_ids is required.", error_path="template_ids")
        if len(ids) > 1:
            raise BadRequest(
                "Only one template per request is supported by the hsnb emulator.",
                error_path="template_ids",
            )
        template = self.get_template(account, ids[0])
        if template.state is TemplateState.PROCESSING:
            raise Conflict(f"Template {template.template_id} is still being processed.")
        if template.state is TemplateState.ERROR:
            raise BadRequest(
                f"Template {template.template_id} could not be created: {template.error}",
                error_path="template_ids",
            )
        signers = _signers_by_role(template, role_keyed(params.get("signers") or [], "signers"))
        ccs = [c.get("email_address") for c in params.get("ccs") or [] if c.get("email_address")]
        request = {
            **{k: v for k, v in params.items() if k not in ("files", "file_urls")},
            "files": list(template.uploads),
            "signers": signers,
            "cc_email_addresses": ccs,
            "use_text_tags": True,
            "title": params.get("title") or template.title,
            "subject": params.get("subject") or template.subject,
            "message": params.get("message") or template.message,
        }
        sr = self.create_signature_request(account, request, embedded=embedded)
        sr.template_ids = [template.template_id]
        for signer, role in zip(sr.signers, template.signer_roles, strict=True):
            signer.role = role["name"]
        return sr

    # -- processing ----------------------------------------------------------------------

    def _timer_process_template(self, template_id: str) -> None:
        template = self.templates.get(template_id)
        if template is None or template.state is not TemplateState.PROCESSING:
            return
        load_documents(
            self.fetcher,
            self.worker,
            template.uploads,
            template.file_urls,
            use_text_tags=True,
            done=lambda loaded: self._template_loaded(template, loaded),
        )

    def _template_loaded(self, template: Template, loaded: Loaded) -> None:
        if self.templates.get(template.template_id) is not template:
            return  # deleted or reset while downloading
        if loaded.failure is not None:
            self._template_done(template, "template_error", loaded.failure[1])
            return
        template.uploads = list(loaded.uploads)
        template.documents = loaded.documents
        problems = docs.check_tags(template.documents, len(template.signer_roles))
        if problems:
            self._template_done(template, "template_error", problems[0].message)
            return
        self._template_done(template, "template_created", None)

    def _template_done(self, template: Template, event_type: str, message: str | None) -> None:
        created = event_type == "template_created"
        move(template, TemplateState.READY if created else TemplateState.ERROR)
        template.error = message
        template.updated_at = self.clock.timestamp()
        self.emit(event_type, template=template, message=message)


def _check_roles(roles: list[Any]) -> list[dict[str, Any]]:
    """``signer_roles``: at least one, each with a distinct name; ``order`` kept as given."""
    if not roles:
        raise BadRequest("signer_roles is required.", error_path="signer_roles")
    cleaned: list[dict[str, Any]] = []
    for i, role in enumerate(roles):
        name = str(role.get("name") or "").strip()
        if not name:
            raise BadRequest(
                f"signer_roles[{i}].name is required.", error_path=f"signer_roles[{i}].name"
            )
        if any(r["name"].lower() == name.lower() for r in cleaned):
            raise BadRequest(f"Duplicate signer role: {name}", error_path=f"signer_roles[{i}].name")
        cleaned.append({"name": name, "order": role.get("order")})
    return cleaned


def _signers_by_role(template: Template, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The signers in the template's role order, each as a plain signer; 400 naming a role
    with no signer or a signer whose role the template lacks."""
    by_role: dict[str, dict[str, Any]] = {}
    names = {role["name"].lower() for role in template.signer_roles}
    for i, signer in enumerate(given):
        role = str(signer.get("role") or "").strip()
        if role.lower() not in names:
            raise BadRequest(
                f"Signer role {role!r} is not a role of template {template.template_id}.",
                error_path=f"signers[{i}].role",
            )
        by_role[role.lower()] = signer
    ordered = []
    for role in template.signer_roles:
        signer = by_role.get(role["name"].lower())
        if signer is None:
            raise BadRequest(f"Missing signer for role: {role['name']}", error_path="signers")
        plain = {k: v for k, v in signer.items() if k != "role"}
        plain["order"] = role["order"]
        ordered.append(plain)
    return ordered
