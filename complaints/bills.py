"""What a station may send as its itemised bill for a charge review: a PDF
or a picture (a scan or a phone photo), nothing else.

The file is looked at, not its name or the type the browser claims: a PDF
starts with `%PDF-`; a picture must pass the walk-around's photo rule
(Pillow reads it whole, bounded bytes and pixels). Whatever is kept is
stored under a random name: the bill names the customer and the amounts,
and its URL must not lead to another ticket's.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from reception.walkaround import NOT_A_PICTURE, checked_image, stored_name

# A scanned multi-page bill is well under this; a picture keeps the photo limit (8 MB).
MAX_BILL_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def _refused(message: str, code: str) -> ValidationError:
    return ValidationError({"bill": ValidationError(message, code=code)})


def checked_bill_name(upload: UploadedFile) -> str:
    """The random name the bill is stored under, once its content is one we
    keep; refuses (ValidationError on "bill") before anything is written."""
    if upload.size > MAX_BILL_BYTES:
        raise _refused(
            _("The bill is %(size)s MB; at most %(max)s MB is accepted.")
            % {"size": f"{upload.size / 1024 / 1024:.1f}", "max": MAX_BILL_BYTES // 1024 // 1024},
            "too_large",
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return stored_name("PDF")
    try:
        fmt, _image = checked_image(upload)
    except ValidationError as error:
        refusal = error.error_dict["image"][0]
        if refusal.code == NOT_A_PICTURE:
            raise _refused(
                _("This file is neither a PDF nor a picture: send the bill as a PDF, JPEG, PNG or WebP file."),
                NOT_A_PICTURE,
            ) from None
        raise _refused(refusal.messages[0], refusal.code or "invalid") from None
    return stored_name(fmt)
