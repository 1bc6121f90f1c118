"""Responses shared by every app's views."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse

# What a stored upload may be shown as in the browser. The upload checks keep
# only these (reception.walkaround, complaints.bills); a file stored before them
# under another name is downloaded, never rendered as a page of the site.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf"})


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """A PDF that opens in the browser's viewer, from where it is printed."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def stored_file_response(stored: FieldFile, filename: str, *, variant: str | None = None) -> FileResponse:
    """A stored upload (signature, photo, bill) streamed to the user the view
    has already checked: the media folder is never served, since its files name
    customers and cars and a URL there would open for anyone who has it.

    `filename` is what the browser saves it as (without the extension, which
    comes from the stored name). `variant` names another stored file made
    from this one (a thumbnail). Private to the browser's cache; 404 when the
    file is gone from storage."""
    if not stored:
        raise Http404
    name = variant or stored.name
    extension = PurePosixPath(name).suffix.lower()
    content_type = mimetypes.guess_type(f"x{extension}")[0] or "application/octet-stream"
    inline = content_type in INLINE_TYPES
    try:
        handle = stored.storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=f"{filename}{extension}",
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response
