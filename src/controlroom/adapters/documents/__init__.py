"""Nuisance-call documents: a warning letter, a PECS temporary-disconnection request, a
safeguarding referral and a prosecution evidence summary, as HTML and PDF from per-force
templates (docs/nuisance.md)."""

from controlroom.adapters.documents.pdf import render_pdf
from controlroom.adapters.documents.render import (
    DocumentData,
    build_document_data,
    render_html,
    template_sets,
)

__all__ = ["DocumentData", "build_document_data", "render_html", "render_pdf", "template_sets"]
