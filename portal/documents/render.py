"""A document's content as PDF (WeasyPrint, tagged PDF/UA like every PDF of the portal) and
as an editable Word file (python-docx)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import cast

from flask import current_app, render_template

from portal.documents.services import Content
from portal.forms import CONTROL_CHARACTERS


def to_pdf(content: Content) -> bytes:
    from portal.pdf import render_pdf

    folder = Path(cast(str, current_app.static_folder), "css")  # create_app sets it
    stylesheet = (folder / "minutes-pdf.css").read_text("utf-8")
    stylesheet += (folder / "documents-pdf.css").read_text("utf-8")
    return render_pdf(render_template("documents/pdf.html", content=content), stylesheet)


def xml_safe(text: str) -> str:
    """XML (and so Word) refuses control characters; text stored before the forms dropped
    them (an address, a wording) is cleaned here."""
    return str(text).translate(CONTROL_CHARACTERS)


def to_docx(content: Content) -> bytes:
    import docx  # loaded on the first Word export only
    from docx.shared import Pt

    content = content.cleaned(xml_safe)

    document = docx.Document()
    base = document.styles["Normal"]
    base.font.name = "Liberation Sans"
    base.font.size = Pt(14 if content.large_type else 11)
    properties = document.core_properties
    properties.title = content.title
    properties.author = content.author
    properties.language = "fr-FR"
    document.add_paragraph(content.subtitle)
    document.add_heading(content.title, level=1)
    for block in content.blocks:
        if block.kind == "h2":
            document.add_heading(block.text, level=2)
        elif block.kind in ("p", "fill"):
            document.add_paragraph(block.text)
        elif block.kind in ("facts", "steps"):
            table = document.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, value in block.rows:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
            document.add_paragraph("")
        elif block.kind == "signatures":
            table = document.add_table(rows=2, cols=len(block.rows))
            for index, (party, _note) in enumerate(block.rows):
                table.cell(0, index).text = party
                table.cell(1, index).text = "\n\n\n" + "Signature"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
