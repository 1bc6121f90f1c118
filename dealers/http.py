"""Responses shared by every app's views."""

from __future__ import annotations

from django.http import HttpResponse


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF that opens in the browser's viewer, from where it is printed."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
