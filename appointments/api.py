"""The public JSON API of online self-booking: services and free slots of a
station, bookings, and a booking seen, cancelled or moved through its signed
token. Same rules as the public page (`appointments.public`); anonymous and
throttled per client address."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from appointments import public, ratelimit
from appointments.forms import PART_OF_DAY
from appointments.models import Appointment
from customers.validators import normalize_phone, normalize_plate, validate_phone, validate_plate
from dealers.models import Dealer


class SlotsThrottle(AnonRateThrottle):
    scope = "public_slots"


class BookingsThrottle(AnonRateThrottle):
    scope = "public_bookings"


CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Station code, e.g. bj01.")
TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="The signed token of a booking.")


# --- serializers -------------------------------------------------------------------


class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    job_type = serializers.CharField()


class ServicesSerializer(serializers.Serializer):
    packages = ServiceSerializer(many=True)
    operations = ServiceSerializer(many=True)


class SlotSerializer(serializers.Serializer):
    arrives_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField()
    matches_wish = serializers.BooleanField()
    day_load_percent = serializers.IntegerField(source="day.percent")


class ChoiceMixin(serializers.Serializer):
    """Services chosen by their codes, resolved against the station."""

    packages = serializers.ListField(child=serializers.CharField(max_length=20), required=False, default=list)
    operations = serializers.ListField(child=serializers.CharField(max_length=20), required=False, default=list)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        station: Dealer = self.context["station"]
        for name, queryset in (
            ("packages", public.offered_packages(station)),
            ("operations", public.offered_operations(station)),
        ):
            codes = list(dict.fromkeys(attrs.get(name) or []))
            found = {obj.code: obj for obj in queryset.filter(code__in=codes)}
            unknown = [c for c in codes if c not in found]
            if unknown:
                raise serializers.ValidationError(
                    {name: _("Unknown service: %(codes)s.") % {"codes": ", ".join(unknown)}}
                )
            attrs[name] = [found[c] for c in codes]
        if not attrs["packages"] and not attrs["operations"]:
            raise serializers.ValidationError({"packages": _("Choose at least one service.")})
        return attrs


class SlotQuerySerializer(ChoiceMixin):
    wished_day = serializers.DateField(required=False, allow_null=True, default=None)
    part_of_day = serializers.ChoiceField(choices=PART_OF_DAY, required=False, default="")


class OfferSerializer(serializers.Serializer):
    job_type = serializers.CharField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, source="estimate.hours")
    labour_price = serializers.DecimalField(max_digits=10, decimal_places=2, source="estimate.labour_price")
    parts_price = serializers.DecimalField(max_digits=10, decimal_places=2, source="estimate.parts_price")
    slots = SlotSerializer(many=True, source="proposals")


class BookingCreateSerializer(ChoiceMixin):
    plate = serializers.CharField(max_length=12, validators=[validate_plate])
    phone = serializers.CharField(max_length=30, validators=[validate_phone])
    arrives_at = serializers.DateTimeField()
    request = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    name = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="New customers only: your name."
    )
    make = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    model = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    vin = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    website = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Leave empty (spam trap).", write_only=True
    )

    def validate_website(self, value: str) -> str:
        if value:
            raise serializers.ValidationError(_("Your request looks automated and was not accepted."))
        return value


class LineSerializer(serializers.Serializer):
    description = serializers.CharField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=2)


class BookingSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    station = serializers.CharField(source="dealer.name")
    plate = serializers.CharField(source="vehicle.plate")
    arrives_at = serializers.DateTimeField()
    ready_at = serializers.DateTimeField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2)
    lines = LineSerializer(many=True, source="lines.all")
    token = serializers.SerializerMethodField()
    manage_url = serializers.SerializerMethodField()

    def get_token(self, appointment: Appointment) -> str:
        return public.link_token(appointment)

    def get_manage_url(self, appointment: Appointment) -> str:
        url = reverse("public_booking:manage", kwargs={"token": public.link_token(appointment)})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MoveSerializer(serializers.Serializer):
    arrives_at = serializers.DateTimeField()


ErrorSerializer = inline_serializer(
    "Refusal",
    {
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        "alternatives": SlotSerializer(many=True),
    },
)


def _code(error: ValidationError) -> str:
    """The refusal's reason (full, closed, past, duplicate…) for programs."""
    if getattr(error, "reason", None):
        return error.reason
    if hasattr(error, "error_dict"):
        inner = [e for errors in error.error_dict.values() for e in errors]
    else:
        inner = error.error_list
    return next((e.code for e in inner if getattr(e, "code", None)), "invalid")


def _refusal(error: ValidationError, http_status: int = status.HTTP_400_BAD_REQUEST) -> Response:
    errors = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    code = _code(error)
    return Response(
        {
            "detail": " ".join(error.messages),
            "code": code,
            "errors": errors,
            "alternatives": SlotSerializer(getattr(error, "alternatives", None) or [], many=True).data,
        },
        status=http_status,
    )


def _station(code: str) -> Dealer:
    return get_object_or_404(Dealer, code=code, is_active=True)


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [SlotsThrottle]


# --- views -------------------------------------------------------------------------


class ServicesView(PublicView):
    @extend_schema(parameters=[CODE], responses=ServicesSerializer, summary="Services a station offers online")
    def get(self, request: Request, code: str) -> Response:
        station = _station(code)
        return Response(
            ServicesSerializer(
                {"packages": public.offered_packages(station), "operations": public.offered_operations(station)}
            ).data
        )


class SlotsView(PublicView):
    @extend_schema(
        parameters=[CODE, SlotQuerySerializer],
        responses={200: OfferSerializer, 400: ErrorSerializer},
        summary="Proposed arrival times for the chosen services",
    )
    def get(self, request: Request, code: str) -> Response:
        station = _station(code)
        query = SlotQuerySerializer(data=request.query_params, context={"station": station})
        query.is_valid(raise_exception=True)
        try:
            offer = public.slots_offer(station=station, **query.validated_data)
        except ValidationError as error:
            return _refusal(error)
        return Response(OfferSerializer(offer).data)


class BookingsView(PublicView):
    throttle_classes = [BookingsThrottle]

    @extend_schema(
        parameters=[CODE],
        request=BookingCreateSerializer,
        responses={201: BookingSerializer, 400: ErrorSerializer, 429: OpenApiResponse(description="Too many attempts")},
        summary="Book an appointment (known vehicle, or a new one with name, make and model)",
    )
    def post(self, request: Request, code: str) -> Response:
        station = _station(code)
        body = BookingCreateSerializer(data=request.data, context={"station": station})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plate, phone = normalize_plate(data["plate"]), normalize_phone(data["phone"])
        if not ratelimit.allow("public-phone", phone, limit=public.PHONE_LIMIT[0], window=public.PHONE_LIMIT[1]):
            return Response({"detail": _("Too many attempts. Please try again later.")}, status=429)
        registration = None
        if data["name"] or data["model"]:
            registration = {k: data[k] for k in ("name", "make", "model", "vin")} | {"plate": plate, "phone": phone}
        try:
            appointment = public.appointment_book_online(
                station=station,
                plate=plate,
                phone=phone,
                operations=data["operations"],
                packages=data["packages"],
                arrives_at=data["arrives_at"],
                request=data["request"],
                registration=registration,
            )
        except ValidationError as error:
            return _refusal(error)
        return Response(BookingSerializer(appointment, context={"request": request}).data, status=201)


def _from_token(request: Request, token: str) -> Appointment | Response:
    try:
        return public.appointment_from_link(token, client_ip=ratelimit.client_ip(request))
    except public.LinkError as error:
        code = "expired" if error.expired else "invalid_link"
        return Response({"detail": error.message, "code": code}, status=410 if error.expired else 400)


LINK_ERRORS = {400: ErrorSerializer, 410: ErrorSerializer}


class BookingView(PublicView):
    @extend_schema(parameters=[TOKEN], responses={200: BookingSerializer, **LINK_ERRORS}, summary="A booking")
    def get(self, request: Request, token: str) -> Response:
        appointment = _from_token(request, token)
        if isinstance(appointment, Response):
            return appointment
        return Response(BookingSerializer(appointment, context={"request": request}).data)


class BookingCancelView(PublicView):
    throttle_classes = [BookingsThrottle]

    @extend_schema(
        parameters=[TOKEN], request=None, responses={200: BookingSerializer, **LINK_ERRORS}, summary="Cancel a booking"
    )
    def post(self, request: Request, token: str) -> Response:
        appointment = _from_token(request, token)
        if isinstance(appointment, Response):
            return appointment
        try:
            appointment = public.appointment_cancel_online(
                appointment=appointment, token=token, client_ip=ratelimit.client_ip(request)
            )
        except ValidationError as error:
            return _refusal(error)
        return Response(BookingSerializer(appointment, context={"request": request}).data)


class BookingMoveView(PublicView):
    throttle_classes = [BookingsThrottle]

    @extend_schema(
        parameters=[TOKEN],
        request=MoveSerializer,
        responses={200: BookingSerializer, **LINK_ERRORS},
        summary="Move a booking to another time",
    )
    def post(self, request: Request, token: str) -> Response:
        appointment = _from_token(request, token)
        if isinstance(appointment, Response):
            return appointment
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            moved = public.appointment_reschedule_online(
                appointment=appointment, arrives_at=body.validated_data["arrives_at"]
            )
        except ValidationError as error:
            return _refusal(error)
        return Response(BookingSerializer(moved, context={"request": request}).data)
