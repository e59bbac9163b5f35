"""Which operations of the official spec the emulator serves, and which it answers "not emulated".

The spec (hellosign-openapi ``openapi.yaml``; a copy is in ``tests/fixtures/openapi/``) documents
73 operations. :data:`EMULATED` are served by the emulator's handlers, plus the API key
endpoints (:data:`API_KEY_OPERATIONS`, newer than that copy of the spec). Every operation in
:data:`NOT_EMULATED` answers, after authentication, 400 ``bad_request`` saying so (the spec
documents only a ``4XX`` ``ErrorResponse`` for each; 400 is what the emulator answers for every
parameter it does not emulate, where a 404 would say the URL is wrong and a 501 is outside the
spec). A method a path does not have answers 405 ``method_not_supported`` with ``Allow``.
``tests/emulator/test_operations.py`` checks that the three lists cover the spec exactly.
"""

from __future__ import annotations

#: ``(method, path)`` of every emulated operation of the spec (paths after ``/v3``).
EMULATED: tuple[tuple[str, str], ...] = (
    ("GET", "/account"),
    ("PUT", "/account"),
    ("POST", "/api_app"),
    ("GET", "/api_app/{client_id}"),
    ("PUT", "/api_app/{client_id}"),
    ("DELETE", "/api_app/{client_id}"),
    ("GET", "/api_app/list"),
    ("GET", "/embedded/sign_url/{signature_id}"),
    ("POST", "/signature_request/cancel/{signature_request_id}"),
    ("POST", "/signature_request/create_embedded"),
    ("POST", "/signature_request/create_embedded_with_template"),
    ("GET", "/signature_request/files/{signature_request_id}"),
    ("GET", "/signature_request/files_as_data_uri/{signature_request_id}"),
    ("GET", "/signature_request/files_as_file_url/{signature_request_id}"),
    ("GET", "/signature_request/{signature_request_id}"),
    ("GET", "/signature_request/list"),
    ("POST", "/signature_request/remind/{signature_request_id}"),
    ("POST", "/signature_request/send"),
    ("POST", "/signature_request/send_with_template"),
    ("POST", "/template/create"),
    ("POST", "/template/delete/{template_id}"),
    ("GET", "/template/{template_id}"),
    ("GET", "/template/list"),
)

#: The API key endpoints (developers.hellosign.com, API Keys; not in the spec copy).
API_KEY_OPERATIONS: tuple[tuple[str, str], ...] = (
    ("GET", "/api_key"),
    ("POST", "/api_key"),
    ("GET", "/api_key/{api_key_id}"),
    ("PUT", "/api_key/{api_key_id}"),
    ("DELETE", "/api_key/{api_key_id}"),
)

#: ``(method, path)`` of every operation of the spec the emulator does not emulate. OAuth's
#: ``/oauth/token`` lives on another host (app.hellosign.com): listed, and answered under ``/v3``.
NOT_EMULATED: tuple[tuple[str, str], ...] = (
    ("POST", "/account/create"),
    ("POST", "/account/verify"),
    ("GET", "/bulk_send_job/{bulk_send_job_id}"),
    ("GET", "/bulk_send_job/list"),
    ("POST", "/embedded/edit_url/{template_id}"),
    ("GET", "/fax/{fax_id}"),
    ("DELETE", "/fax/{fax_id}"),
    ("GET", "/fax/files/{fax_id}"),
    ("PUT", "/fax_line/add_user"),
    ("GET", "/fax_line/area_codes"),
    ("POST", "/fax_line/create"),
    ("GET", "/fax_line"),
    ("DELETE", "/fax_line"),
    ("GET", "/fax_line/list"),
    ("PUT", "/fax_line/remove_user"),
    ("GET", "/fax/list"),
    ("POST", "/fax/send"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/token?refresh"),
    ("POST", "/report/create"),
    ("POST", "/signature_request/bulk_create_embedded_with_template"),
    ("POST", "/signature_request/bulk_send_with_template"),
    ("PUT", "/signature_request/edit/{signature_request_id}"),
    ("PUT", "/signature_request/edit_embedded/{signature_request_id}"),
    ("PUT", "/signature_request/edit_embedded_with_template/{signature_request_id}"),
    ("PUT", "/signature_request/edit_with_template/{signature_request_id}"),
    ("POST", "/signature_request/release_hold/{signature_request_id}"),
    ("POST", "/signature_request/remove/{signature_request_id}"),
    ("POST", "/signature_request/update/{signature_request_id}"),
    ("PUT", "/team/add_member"),
    ("POST", "/team/create"),
    ("DELETE", "/team/destroy"),
    ("GET", "/team"),
    ("PUT", "/team"),
    ("GET", "/team/info"),
    ("GET", "/team/invites"),
    ("GET", "/team/members/{team_id}"),
    ("POST", "/team/remove_member"),
    ("GET", "/team/sub_teams/{team_id}"),
    ("POST", "/template/add_user/{template_id}"),
    ("POST", "/template/create_embedded_draft"),
    ("GET", "/template/files/{template_id}"),
    ("GET", "/template/files_as_data_uri/{template_id}"),
    ("GET", "/template/files_as_file_url/{template_id}"),
    ("POST", "/template/remove_user/{template_id}"),
    ("POST", "/template/update_files/{template_id}"),
    ("POST", "/unclaimed_draft/create"),
    ("POST", "/unclaimed_draft/create_embedded"),
    ("POST", "/unclaimed_draft/create_embedded_with_template"),
    ("POST", "/unclaimed_draft/edit_and_resend/{signature_request_id}"),
)
