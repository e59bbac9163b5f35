"""HTML pages a person opens, and their handlers: the sign page (what a notebook shows in an
IFrame), the request page behind ``details_url``, the copy shown on a sign page and
``files_as_file_url`` downloads. Plain templates, every value escaped; no JavaScript::

    GET    /editor/embeddedSign?signature_id=&token=   the sign page at an embedded sign URL
    POST   /editor/embeddedSign  (session, action, reason)   its Sign / Decline buttons
    GET    /_emulator/sign/{signature_id}           the sign page without a sign URL
    GET    /_emulator/requests/{id}                 ``details_url``: status and signers
    GET    /_emulator/sessions/{session}/document.pdf    the copy shown on a sign page
    GET    /_emulator/file_links/{token}            ``files_as_file_url`` downloads

The sign page shows the current copy of the documents (an embedded PDF, with its text below as
a fallback), the signer's name, and a Sign button, plus a Decline button with a reason field
when the request has ``allow_decline``. The buttons POST to ``/editor/embeddedSign`` with the
page's one-time session.
"""

from __future__ import annotations

from html import escape
from string import Template
from typing import Any

from hsnb.emulator.http.handlers import BaseHandler
from hsnb.emulator.service.documents import pdf_text
from hsnb.emulator.service.models import SignatureRequest, Signer
from hsnb.errors import ApiError

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #1e2a3a; }
.document { width: 100%; height: 28rem; border: 1px solid #ccd; }
pre { white-space: pre-wrap; background: #f6f7fb; padding: .5rem;
      max-height: 12rem; overflow: auto; }
button { font-size: 1rem; padding: .4rem 1.2rem; margin-right: .5rem; }
.sign { background: #1f57c3; color: white; border: none; }
table { border-collapse: collapse; } td, th { padding: .2rem .6rem; border-bottom: 1px solid #dde; }
</style></head>
<body>
<h1>$title</h1>
$body
<p><small>hsnb Dropbox Sign emulator</small></p>
</body></html>
""")

_SIGN = Template("""<p>Signing as <strong>$name</strong> &lt;$email&gt;.</p>
<object class="document" type="application/pdf" data="$document_url">
<p>The document cannot be shown here; <a href="$document_url">open it</a>.</p></object>
<details><summary>Document text</summary><pre>$text</pre></details>
<form method="post" action="/editor/embeddedSign">
<input type="hidden" name="session" value="$session">
<button class="sign" name="action" value="sign" type="submit">Sign</button>
</form>
$decline
""")

# Decline has its own form: Enter in the reason field must decline, never sign.
_DECLINE = Template("""<form method="post" action="/editor/embeddedSign">
<input type="hidden" name="session" value="$session">
<label>Reason <input name="reason" size="30"></label>
<button name="action" value="decline" type="submit">Decline</button>
</form>""")


def page(title: str, body_html: str) -> str:
    """A complete page around ``body_html`` (which must already be escaped)."""
    return _PAGE.substitute(title=escape(title), body=body_html)


def sign_page(
    sr: SignatureRequest, signer: Signer, session: str, document_url: str, text: str
) -> str:
    """The page at a sign URL: the document, Sign and (if allowed) Decline."""
    body = _SIGN.substitute(
        name=escape(signer.name),
        email=escape(signer.email_address),
        document_url=escape(document_url),
        text=escape(text),
        session=escape(session),
        decline=_DECLINE.substitute(session=escape(session)) if sr.allow_decline else "",
    )
    return page(sr.title or "Signature request", body)


def message_page(title: str, message: str) -> str:
    """A page that says one thing (signed, declined, or why the URL does not work)."""
    return page(title, f"<p>{escape(message)}</p>")


def request_page(sr: SignatureRequest, signer_url: dict[str, str]) -> str:
    """The request's status and its signers, each with a link to sign as them."""
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(s.name),
            escape(s.email_address),
            escape(s.status.value),
            f'<a href="{escape(signer_url[s.signature_id])}">open as this signer</a>'
            if s.signature_id in signer_url
            else "",
        )
        for s in sr.signers
    )
    body = (
        f"<p>Request <code>{escape(sr.signature_request_id)}</code>: "
        f"<strong>{escape(sr.state.value)}</strong></p>"
        "<table><tr><th>Signer</th><th>E-mail</th><th>Status</th><th></th></tr>"
        f"{rows}</table>"
    )
    return page(sr.title or "Signature request", body)


# -- handlers ------------------------------------------------------------------------------


class PageHandler(BaseHandler):
    """An HTML page; failures render as a short HTML page with the error's status."""

    plane = "page"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = exc.error_msg if isinstance(exc, ApiError) else self._reason
        status = exc.status if isinstance(exc, ApiError) else status_code
        self.send_html(message_page("This page cannot be shown", message), status)

    def send_html(self, html: str, status: int = 200) -> None:
        """Finish with ``html``."""
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(html)

    def show_sign_page(self, session: str) -> None:
        """The sign page for an open session."""
        sr, signer = self.backend.session_signer(session)
        copy = self.backend.session_copy(session)
        url = f"/_emulator/sessions/{session}/document.pdf"
        self.send_html(sign_page(sr, signer, session, url, pdf_text(copy)))


class EmbeddedSignHandler(PageHandler):
    """``/editor/embeddedSign``: GET opens a sign URL (once), POST is a button press."""

    def get(self) -> None:
        signature_id = self.get_query_argument("signature_id", "")
        token = self.get_query_argument("token", "")
        self.show_sign_page(self.backend.open_sign_url(signature_id, token))

    def post(self) -> None:
        session = self.get_body_argument("session", "")
        action = self.get_body_argument("action", "")
        reason = self.get_body_argument("reason", "") or None
        self.backend.act_in_session(session, action, reason)
        if action == "sign":
            title, text = "Signed", "Thank you: your signature was recorded."
        else:
            title, text = "Declined", "You declined to sign this request."
        self.send_html(message_page(title, text))


class SignerPageHandler(PageHandler):
    """``GET /_emulator/sign/{signature_id}``: the sign page without a sign URL."""

    def get(self, signature_id: str) -> None:
        self.show_sign_page(self.backend.open_signer_page(signature_id))


class RequestPageHandler(PageHandler):
    """``GET /_emulator/requests/{id}``: the page behind ``details_url``."""

    def get(self, request_id: str) -> None:
        sr = self.backend.get_signature_request(self.backend.account, request_id)
        links = {s.signature_id: f"/_emulator/sign/{s.signature_id}" for s in sr.signers}
        self.send_html(request_page(sr, links))


class SessionDocumentHandler(PageHandler):
    """``GET /_emulator/sessions/{session}/document.pdf``."""

    def get(self, session: str) -> None:
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", 'inline; filename="document.pdf"')
        self.finish(self.backend.session_copy(session))


class FileLinkHandler(PageHandler):
    """``GET /_emulator/file_links/{token}``: a ``files_as_file_url`` download."""

    def get(self, token: str) -> None:
        link = self.backend.open_file_link(token)
        disposition = "inline" if link.inline else "attachment"
        self.set_header("Content-Type", "application/pdf")
        self.set_header("Content-Disposition", f'{disposition}; filename="{link.filename}"')
        self.finish(link.data)
