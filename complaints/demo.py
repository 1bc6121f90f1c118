"""Demo complaints for `seed_demo`, made through the real services.

`seed_complaints(stations, now)` is meant to be called by the demo seed after
the repair-order history exists: per station a dispatched repair-quality
complaint (the customer had been there), one that is not dispatched (guided
to the station), one near its 24 h deadline, plus a consultation and a
coordination. A station that has tickets already is left alone, so a re-run
adds nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.contrib.auth import get_user_model

from complaints import services
from complaints.models import Complaint, ContactType, Subject
from customers.models import Vehicle
from dealers.models import Dealer, Role, StaffMember
from reception.models import RepairOrder, ROStatus


def _agent(stations: dict[str, Dealer]):
    """The call-center agent of the first station (the group's call center),
    else any superuser."""
    staff = StaffMember.objects.filter(roles__role=Role.CALL_CENTER).select_related("user").order_by("pk").first()
    if staff is not None:
        return staff.user
    return get_user_model().objects.filter(is_superuser=True).order_by("pk").first()


def seed_complaints(stations: dict[str, Dealer], now: dt.datetime) -> Counter[str]:
    created: Counter[str] = Counter()
    agent = _agent(stations)
    if agent is None:
        return created
    for dealer in stations.values():
        if Complaint.objects.filter(dealer=dealer).exists():
            continue
        visited = (
            RepairOrder.objects.filter(dealer=dealer, status__in=[ROStatus.DELIVERED, ROStatus.CLOSED])
            .select_related("vehicle__owner")
            .prefetch_related("lines__operation")
            .order_by("-created_at")
        )
        orders = list(visited[:2])
        if len(orders) < 2:
            continue
        seen = {o.vehicle_id for o in orders}
        stranger = Vehicle.objects.filter(dealer=dealer).exclude(pk__in=seen).exclude(repair_orders__dealer=dealer)
        stranger = stranger.select_related("owner").first()
        first, second = orders
        # Dispatched: the customer had been there (the RO), came in 2 h ago.
        services.complaint_open(
            station=dealer,
            by=agent,
            subject=Subject.REPAIR_QUALITY,
            level=1,
            words="上次保养后发动机故障灯又亮了,修了还是这样。",
            expected_outcome="免费检修,给个说法",
            customer=first.vehicle.owner,
            vehicle=first.vehicle,
            related_orders=[first],
            answers={"fault": "发动机故障灯亮", "contacted_station": "是", "wants": "免费检修"},
            problem_operation=next((line.operation for line in first.lines.all() if line.operation_id), None),
            now=now - dt.timedelta(hours=2),
        )
        # Near its 24 h deadline: came in 22 h ago, nobody has answered yet.
        services.complaint_open(
            station=dealer,
            by=agent,
            subject=Subject.ATTITUDE,
            level=1,
            words="接待的服务顾问态度很差,问什么都不耐烦。",
            expected_outcome="服务站道歉",
            customer=second.vehicle.owner,
            vehicle=second.vehicle,
            related_orders=[second],
            answers={"who": "前台服务顾问,上周六上午"},
            complainer_type="agitated",
            now=now - dt.timedelta(hours=22),
        )
        created["complaint tickets"] += 2
        if stranger is not None:
            # Not dispatched: the customer has not been to the station about it.
            services.complaint_open(
                station=dealer,
                by=agent,
                subject=Subject.PRODUCT_QUALITY,
                level=1,
                words="新车空调有异味,还没去过服务站。",
                expected_outcome="希望解决异味",
                customer=stranger.owner,
                vehicle=stranger,
                guidance=f"已告知客户到{dealer.name}检测空调系统,地址 {dealer.address},电话 {dealer.phone}。",
                now=now - dt.timedelta(hours=5),
            )
            created["complaint tickets"] += 1
        services.contact_record(
            station=dealer,
            contact_type=ContactType.CONSULTATION,
            words="首保是多少公里?",
            answer="新车3个月或5000公里内到店首保。",
            customer=first.vehicle.owner,
            by=agent,
            now=now - dt.timedelta(hours=1),
        )
        services.contact_record(
            station=dealer,
            contact_type=ContactType.COORDINATION,
            words="想知道延保政策能不能办理。",
            department="服务站销售部",
            caller_name="赵先生",
            caller_phone="13800001234",
            by=agent,
            now=now - dt.timedelta(hours=1),
        )
        created["inbound contacts"] += 2
    return created
