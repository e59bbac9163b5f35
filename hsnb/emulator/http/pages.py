"""HTML pages a person sees: the sign page (what a notebook shows in an IFrame) and the
request page behind ``details_url``. Plain templates, every value escaped; no JavaScript.

The sign page shows the current copy of the documents (an embedded PDF, with its text below as
a fallback), the signer's name, and a Sign button, plus a Decline button with a reason field
when the request has ``allow_decline``. The buttons POST to ``/editor/embeddedSign`` with the
page's one-time session.
"""

from __future__ import annotations

from html import escape
from string import Template

from hsnb.emulator.service.models import SignatureRequest, Signer

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
