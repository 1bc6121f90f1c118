import datetime as dt
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Max
from django.utils import timezone

from dealer_service.sweep import sweep
from followup.models import Channel, ContactTask, Message, MessageStatus


def _sent_per_channel() -> Counter:
    rows = Message.objects.filter(status=MessageStatus.SENT).values("channel").annotate(n=Count("pk"))
    return Counter({row["channel"]: row["n"] for row in rows})


class Command(BaseCommand):
    help = (
        "Run the deadline sweep once (what Celery beat runs every minute) and say what it did: "
        "per step, the contact tasks it created per kind and the messages it sent per channel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to sweep at, e.g. 2026-11-23T09:00+08:00 (default: now)")

    def handle(self, *args, now=None, **options):
        at = timezone.now()
        if now:
            try:
                at = dt.datetime.fromisoformat(now)
            except ValueError as error:
                raise CommandError(f"--now: {error}") from error
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        # What this run adds is the difference to before: tasks are never
        # deleted (pk beyond the last one) and a sent message stays sent.
        last_task = ContactTask.objects.aggregate(last=Max("pk"))["last"] or 0
        sent_before = _sent_per_channel()
        result = sweep(at)
        for name, count in result.acted.items():
            self.stdout.write(f"{name}: {count}")
        for name, error in result.failed.items():
            self.stderr.write(f"{name} FAILED: {error}")
        self._report(last_task, sent_before)
        self.stdout.write(f"swept at {at.isoformat()}: {len(result.acted)} step(s) ok, {len(result.failed)} failed")
        if not result.ok:
            raise CommandError("some sweep steps failed")

    def _report(self, last_task: int, sent_before: Counter) -> None:
        created = ContactTask.objects.filter(pk__gt=last_task).values("kind").annotate(n=Count("pk")).order_by("kind")
        created = {row["kind"]: row["n"] for row in created}
        self.stdout.write(f"contact tasks created: {sum(created.values())}")
        for kind, n in created.items():
            self.stdout.write(f"  {kind}: {n}")
        sent = _sent_per_channel() - sent_before
        self.stdout.write(f"messages sent: {sum(sent.values())}")
        for channel in Channel.values:
            if sent[channel]:
                self.stdout.write(f"  {channel}: {sent[channel]}")
        waiting = Message.objects.filter(channel=Channel.LETTER, status=MessageStatus.QUEUED).count()
        self.stdout.write(f"letters waiting to be printed: {waiting}")
