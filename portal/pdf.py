"""PDF rendering shared by every feature that prints (minutes, fiche-bilans, reports, a
household's export, a measure's documents)."""


def render_pdf(html: str, stylesheet: str) -> bytes:
    """Render a document's HTML to PDF with WeasyPrint; nothing is fetched from outside.
    Every PDF is tagged PDF/UA-1 (structure, language, title): screen readers read it."""
    import weasyprint  # heavy: loaded on the first export only

    nothing = weasyprint.URLFetcher(allowed_protocols=())
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=nothing).write_pdf(
        stylesheets=[weasyprint.CSS(string=stylesheet, url_fetcher=nothing)],
        pdf_variant="pdf/ua-1",
    )
    return pdf
