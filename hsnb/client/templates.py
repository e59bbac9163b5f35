"""The template endpoints of :class:`hsnb.client.Client` (its base class, kept in its own file).

A template is processed after ``template/create`` answers, like a signature request: wait for
``template_created`` (or ``template_error``) before sending a request from it. Signers of a
request from a template are keyed by role: ``{"Client": ("Jack Doe", "jack@example.com")}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hsnb.client.encoding import (
    FileSpec,
    SignerSpec,
    request_body,
    role_dicts,
    role_signer_dicts,
    split_files,
)
from hsnb.client.http import HttpSession
from hsnb.client.models import SignatureRequest, Template


class TemplateEndpoints(HttpSession):
    """``/template/*``, ``send_with_template`` and ``create_embedded_with_template``."""

    def create_template(
        self,
        files: FileSpec | Sequence[FileSpec],
        signer_roles: Sequence[str | Mapping[str, Any]],
        *,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        cc_roles: Sequence[str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        test_mode: bool = True,
        client_id: str | None = None,
        **params: Any,
    ) -> Template:
        """``POST /template/create``: a template with these documents and roles.

        ``files`` as for :meth:`~hsnb.client.Client.create_embedded`; ``signer_roles``: names or
        ``{"name", "order"}`` dicts. Text tags name roles by position (``signer1`` is the
        first role). Returns a :class:`Template` with only ``template_id`` set: the template is
        usable after ``template_created``. Raises :class:`BadRequest` for missing roles or
        documents.
        """
        uploads, urls = split_files(files)
        body = {
            **params,
            "signer_roles": role_dicts(signer_roles),
            "cc_roles": list(cc_roles) if cc_roles else None,
            "title": title,
            "subject": subject,
            "message": message,
            "metadata": dict(metadata) if metadata else None,
            "test_mode": test_mode,
            "client_id": client_id,
        }
        if urls:
            body["file_urls"] = urls
        data = self._json("POST", "/template/create", **request_body(body, uploads))
        return Template.from_json(data["template"])

    def get_template(self, template_id: str) -> Template:
        """``GET /template/{id}`` (404 :class:`NotFound` if unknown or deleted)."""
        return Template.from_json(self._json("GET", f"/template/{template_id}")["template"])

    def list_templates(
        self, *, query: str | None = None, page_size: int = 100, max_pages: int | None = None
    ) -> Iterator[Template]:
        """``GET /template/list``: every template, newest first, page after page (lazily;
        ``max_pages`` bounds the calls)."""
        return self._every(
            "/template/list",
            page_size,
            max_pages,
            key="templates",
            parse=Template.from_json,
            query=query,
        )

    def delete_template(self, template_id: str) -> None:
        """``POST /template/delete/{id}``; requests made from the template are unaffected."""
        self._json("POST", f"/template/delete/{template_id}")

    def send_with_template(
        self,
        template_ids: str | Sequence[str],
        signers: Mapping[str, SignerSpec],
        *,
        test_mode: bool = True,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        ccs: Mapping[str, str] | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/send_with_template``: signers get an e-mail.

        ``signers``: ``{role: (name, email) | dict}``, one per role of the template; ``ccs``:
        ``{cc_role: email}``. ``title``, ``subject`` and ``message`` default to the
        template's. Raises :class:`NotFound` for an unknown template and :class:`BadRequest`
        naming a role without a signer (or a role the template lacks).
        """
        return self._from_template(
            "/signature_request/send_with_template",
            template_ids,
            signers,
            ccs,
            test_mode=test_mode,
            title=title,
            subject=subject,
            message=message,
            metadata=dict(metadata) if metadata else None,
            **params,
        )

    def create_embedded_with_template(
        self,
        template_ids: str | Sequence[str],
        signers: Mapping[str, SignerSpec],
        *,
        client_id: str | None = None,
        test_mode: bool = True,
        title: str | None = None,
        subject: str | None = None,
        message: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        ccs: Mapping[str, str] | None = None,
        **params: Any,
    ) -> SignatureRequest:
        """``POST /signature_request/create_embedded_with_template``: signed in an iFrame.

        Arguments as :meth:`send_with_template`; ``client_id`` defaults as for
        :meth:`~hsnb.client.Client.create_embedded`.
        """
        return self._from_template(
            "/signature_request/create_embedded_with_template",
            template_ids,
            signers,
            ccs,
            client_id=client_id or self.client_id,
            test_mode=test_mode,
            title=title,
            subject=subject,
            message=message,
            metadata=dict(metadata) if metadata else None,
            **params,
        )

    def _from_template(
        self,
        path: str,
        template_ids: str | Sequence[str],
        signers: Mapping[str, SignerSpec],
        ccs: Mapping[str, str] | None,
        **params: Any,
    ) -> SignatureRequest:
        ids = [template_ids] if isinstance(template_ids, str) else list(template_ids)
        body = {
            **params,
            "template_ids": ids,
            "signers": role_signer_dicts(signers),
            "ccs": [{"role": r, "email_address": e} for r, e in ccs.items()] if ccs else None,
        }
        data = self._json("POST", path, **request_body(body, ()))
        return SignatureRequest.from_json(data["signature_request"], data.get("warnings"))
