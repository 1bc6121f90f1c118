"""`manage.py render_repair_order NUMBER --out FILE.pdf [--station CODE]`:
the five-part repair order as a PDF file, e.g. to print from the shell or
to archive. RO numbers are unique per station; when several stations have
the number, --station says which."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reception import documents
from reception.models import RepairOrder


class Command(BaseCommand):
    help = "Render the five-part repair order (接车单一式五联) of one RO to a PDF file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("number", help="repair order number, e.g. R2026-00012")
        parser.add_argument("--out", required=True, type=Path, help="the PDF file to write")
        parser.add_argument("--station", default=None, help="station code, when several stations have the number")

    def handle(self, *args, number: str, out: Path, station: str | None, **options) -> None:
        orders = RepairOrder.objects.filter(number=number.strip())
        if station:
            orders = orders.filter(dealer__code=station)
        found = list(orders.values_list("pk", "dealer__code"))
        if not found:
            if station:
                raise CommandError(
                    _("No repair order %(number)s at station %(station)s.") % {"number": number, "station": station}
                )
            raise CommandError(_("No repair order %(number)s.") % {"number": number})
        if len(found) > 1:
            codes = ", ".join(sorted(code for _pk, code in found))
            raise CommandError(
                _("Several stations have repair order %(number)s (%(codes)s): choose one with --station.")
                % {"number": number, "codes": codes}
            )
        order = documents.for_print(RepairOrder.objects.all()).get(pk=found[0][0])
        pdf = documents.repair_order_pdf(order)
        if out.parent and not out.parent.exists():
            raise CommandError(_("No such directory: %(path)s") % {"path": out.parent})
        out.write_bytes(pdf)
        self.stdout.write(f"{order.number} ({order.dealer.code}): {len(pdf):,} bytes written to {out}")
