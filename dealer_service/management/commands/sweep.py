import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealer_service.sweep import sweep


class Command(BaseCommand):
    help = "Run the deadline sweep once (what Celery beat runs every minute)."

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
        result = sweep(at)
        for name, count in result.acted.items():
            self.stdout.write(f"{name}: {count}")
        for name, error in result.failed.items():
            self.stderr.write(f"{name} FAILED: {error}")
        self.stdout.write(f"swept at {at.isoformat()}: {len(result.acted)} step(s) ok, {len(result.failed)} failed")
        if not result.ok:
            raise CommandError("some sweep steps failed")
