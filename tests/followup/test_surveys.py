"""The after-sales callback's satisfaction survey: satisfied closes the call;
dissatisfied (a score of 2 or less, or said so) opens one answer call for the
advisor, on the service manager's list too, due within the station's hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from dealers.models import Role
from followup.models import ContactAttempt, ContactTask, Kind, Outcome, Survey, TaskStatus
from followup.services import contact_attempt_record
from followup.surveys import escalation_of, survey_record
from tests.followup.test_calling import MONDAY, at, make_task
from tests.reception import conftest as reception_fixtures

ro_vehicle = reception_fixtures.ro_vehicle
repair_order = reception_fixtures.repair_order

pytestmark = pytest.mark.django_db

NOW = at(MONDAY, 10)
HAPPY = {"reception": 5, "repair_quality": 4, "on_time": 5, "price_explained": 4, "overall": 5}


@pytest.fixture
def callback(station, repair_order):
    return make_task(
        station, kind=Kind.CALLBACK, customer=repair_order.customer, vehicle=repair_order.vehicle, source=repair_order
    )


def record(task, by, scores=None, **extra) -> Survey:
    return survey_record(task=task, scores=HAPPY if scores is None else scores, by=by, now=NOW, **extra)


def test_a_satisfied_customer_closes_the_callback(callback, repair_order, specialist):
    survey = record(callback, specialist.user, comment="服务很好")
    callback.refresh_from_db()
    assert (callback.status, callback.outcome, callback.closed_at) == (TaskStatus.DONE, Outcome.SATISFIED, NOW)
    assert survey.repair_order == repair_order and survey.scores == HAPPY
    assert (survey.comment, survey.recorded_by, survey.recorded_at) == ("服务很好", specialist.user, NOW)
    assert callback.attempts.get().outcome == Outcome.SATISFIED
    assert not ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).exists()


def test_a_score_of_two_makes_the_customer_dissatisfied_and_the_advisor_answers(
    callback, repair_order, specialist, advisor
):
    survey = record(callback, specialist.user, {**HAPPY, "repair_quality": 2}, comment="异响没修好")
    callback.refresh_from_db()
    assert callback.outcome == Outcome.DISSATISFIED
    escalation = ContactTask.objects.get(kind=Kind.SURVEY_ESCALATION)
    assert escalation.source == survey and escalation == escalation_of(survey)
    assert (escalation.role, escalation.assignee) == (Role.SERVICE_MANAGER, advisor)
    assert (escalation.customer, escalation.vehicle) == (repair_order.customer, repair_order.vehicle)
    assert escalation.status == TaskStatus.OPEN and escalation.due_from == NOW


def test_three_is_not_dissatisfied(callback, specialist):
    record(callback, specialist.user, {"overall": 3, "on_time": 3})
    callback.refresh_from_db()
    assert callback.outcome == Outcome.SATISFIED
    assert not ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).exists()


def test_saying_so_makes_the_customer_dissatisfied_whatever_the_scores(callback, specialist):
    record(callback, specialist.user, dissatisfied=True, comment="等太久")
    callback.refresh_from_db()
    assert callback.outcome == Outcome.DISSATISFIED
    assert ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).count() == 1


@pytest.mark.parametrize("hours", [24, 4])
def test_the_answer_is_due_within_the_stations_hours(station, callback, specialist, hours):
    station.survey_answer_hours = hours
    station.save()
    record(callback, specialist.user, {"overall": 1})
    escalation = ContactTask.objects.get(kind=Kind.SURVEY_ESCALATION)
    assert escalation.due_until == NOW + dt.timedelta(hours=hours)


def test_the_survey_is_recorded_once_and_escalates_once(callback, specialist):
    record(callback, specialist.user, {"overall": 1})
    with translation.override("en"), pytest.raises(ValidationError, match="already closed"):
        record(callback, specialist.user, {"overall": 2})
    assert Survey.objects.count() == 1
    assert ContactTask.objects.filter(kind=Kind.SURVEY_ESCALATION).count() == 1


def test_the_escalation_is_answered_on_a_call(callback, specialist, advisor):
    record(callback, specialist.user, {"overall": 1})
    escalation = ContactTask.objects.get(kind=Kind.SURVEY_ESCALATION)
    contact_attempt_record(task=escalation, by=advisor.user, outcome=Outcome.ANSWERED, now=NOW + dt.timedelta(hours=2))
    escalation.refresh_from_db()
    assert (escalation.status, escalation.outcome) == (TaskStatus.DONE, Outcome.ANSWERED)


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"overall": 6}, "from 1 to 5"),
        ({"overall": 0}, "from 1 to 5"),
        ({"overall": "x"}, "from 1 to 5"),
        ({"reception": 4}, "overall score"),
        ({"overall": 4, "coffee": 5}, "Unknown survey question"),
    ],
)
def test_bad_scores_are_refused_and_nothing_is_written(callback, specialist, scores, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        record(callback, specialist.user, scores)
    assert not Survey.objects.exists() and not ContactAttempt.objects.exists()
    callback.refresh_from_db()
    assert callback.status == TaskStatus.OPEN


def test_only_the_callback_has_a_survey(station, specialist):
    with translation.override("en"), pytest.raises(ValidationError, match="Only the after-sales callback"):
        record(make_task(station), specialist.user)
    assert not Survey.objects.exists()


def test_a_callback_is_closed_satisfied_or_dissatisfied_only_through_its_survey(callback, specialist):
    for outcome in (Outcome.SATISFIED, Outcome.DISSATISFIED):
        with translation.override("en"), pytest.raises(ValidationError, match="Record the satisfaction survey"):
            contact_attempt_record(task=callback, by=specialist.user, outcome=outcome, now=NOW)
    assert not ContactAttempt.objects.exists()


def test_another_stations_callback_is_refused(callback, other_advisor):
    with translation.override("en"), pytest.raises(ValidationError, match="a station you do not work at"):
        record(callback, other_advisor.user)
    assert not Survey.objects.exists()
