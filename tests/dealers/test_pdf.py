"""The shared PDF renderer: the fonts stay loaded between printouts of one
thread, and no two threads share a Pango font map."""

from __future__ import annotations

import gc
import threading

from dealers import pdf

HTML = '<html lang="zh-CN"><body style="font-family: \'Noto Sans CJK SC\'">接车单</body></html>'


def test_printouts_of_one_thread_share_the_font_configuration(monkeypatch):
    from weasyprint import HTML as WeasyHTML

    used = []
    write_pdf = WeasyHTML.write_pdf

    def recording_write_pdf(self, *args, **kwargs):
        used.append(kwargs.get("font_config"))
        return write_pdf(self, *args, **kwargs)

    monkeypatch.setattr(WeasyHTML, "write_pdf", recording_write_pdf)

    first = pdf.render_pdf(HTML)
    second = pdf.render_pdf(HTML)

    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert used[0] is not None
    assert used[0] is used[1]


def test_each_thread_has_its_own_font_configuration():
    here = pdf.font_configuration()
    there = []
    worker = threading.Thread(target=lambda: there.append(pdf.font_configuration()))
    worker.start()
    worker.join()

    assert there[0] is not here
    assert pdf.font_configuration() is here


def test_the_collector_runs_again_after_a_printout():
    assert gc.isenabled()
    pdf.render_pdf(HTML)
    assert gc.isenabled()
