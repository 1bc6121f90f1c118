"""The sweep runs the appointments step before the follow-up rules, and one
failing step never stops the other."""

import datetime as dt

from dealer_service import sweep as sweep_module
from dealer_service.sweep import sweep
from followup import rules
from followup.models import ContactTask, Kind
from tests.followup.conftest import ARRIVAL

H = dt.timedelta(hours=1)


def test_the_no_shows_and_late_forecasts_come_before_the_contact_rules_run():
    names = [name for name, _rule in sweep_module.STEPS]
    assert names.index("appointments.no_shows") < names.index("followup.contact_rules")
    assert names.index("workshop.late_forecasts") < names.index("followup.contact_rules")
    assert dict(sweep_module.STEPS)["followup.contact_rules"] is rules.run_all


def test_a_failing_no_show_step_does_not_stop_the_confirmations(appointment, monkeypatch):
    def broken(now):
        raise RuntimeError("lock timeout")

    steps = [(name, broken if name == "appointments.no_shows" else rule) for name, rule in sweep_module.STEPS]
    monkeypatch.setattr(sweep_module, "STEPS", steps)
    result = sweep(ARRIVAL - 72 * H)
    assert result.failed == {"appointments.no_shows": "RuntimeError: lock timeout"}
    assert "appointments.no_shows" not in result.acted and result.acted["followup.contact_rules"] == 1
    assert ContactTask.objects.get().kind == Kind.CONFIRMATION_72H
