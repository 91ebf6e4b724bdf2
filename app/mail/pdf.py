"""Rendering a letter's HTML to PDF with WeasyPrint (it needs Debian's pango: see scripts/)."""


def render_pdf(html: str) -> bytes:
    """The PDF of a letter's stored HTML."""
    # Imported here: loading pango takes a moment that no request without a letter pays.
    from weasyprint import HTML

    return HTML(string=html).write_pdf()
