"""HTML to PDF with WeasyPrint, keeping the fonts loaded between printouts.

A new `FontConfiguration` is a new Pango font map: every printout made with
its own would look the CJK and monospace faces up through fontconfig again
and open the font files afresh. One configuration per thread is reused
instead; per thread because a Pango font map must not be used by two
threads at once (the threaded servers render PDFs side by side).

The cyclic garbage collector is paused while a document is laid out.
WeasyPrint makes hundreds of thousands of boxes, styles and layout objects
that all stay alive until the PDF is written, so the collections their
allocation triggers find nothing to free and only walk the heap: about a
fifth of a five-part repair order's time, more in a process with a large
heap. The pause ends with the render; the next collection frees its cycles.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint.text.fonts import FontConfiguration

_local = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's font configuration, made on its first printout."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration  # heavy import, only where a PDF is made

        config = _local.font_config = FontConfiguration()
    return config


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is switched back
    on only by whoever switched it off (a render in another thread, or code
    that runs with it off, keeps its state)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document, rendered with this thread's fonts."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    with _collector_paused():
        return HTML(string=html, base_url=base_url).write_pdf(font_config=font_configuration())
