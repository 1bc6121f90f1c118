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
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView, exception_handler

from appointments import public, ratelimit
from appointments.forms import PART_OF_DAY
from appointments.models import Appointment
from customers.validators import normalize_phone, normalize_plate, validate_phone, validate_plate
from dealers.models import Dealer


class SlotsThrottle(AnonRateThrottle):
    scope = "public_slots"


class BookingsThrottle(AnonRateThrottle):
    scope = "public_bookings"


# The patterns of the URL converters (slug, str): a value outside them never
# reaches the API, Django answers with its HTML 404 page.
CODE = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description="Station code, e.g. bj01.", pattern=r"^[-a-zA-Z0-9_]+$"
)
TOKEN = OpenApiParameter(
    "token", str, OpenApiParameter.PATH, description="The signed token of a booking.", pattern=r"^[^/]+$"
)


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


class FieldErrorsSerializer(serializers.Serializer):
    """Input that does not fit the request's fields: messages per field, and
    per item for lists ({"packages": {"0": ["…"]}}). Documentation only."""


class FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        messages = {"type": "array", "items": {"type": "string"}}
        return {
            "type": "object",
            "additionalProperties": {
                "oneOf": [messages, {"type": "object", "additionalProperties": messages}],
            },
        }


# A 400 is either a refusal of the booking rules or input that does not fit
# the fields (the serializers' own shape, kept for existing clients).
BadRequestSerializer = PolymorphicProxySerializer(
    component_name="BadRequest",
    serializers=[ErrorSerializer, FieldErrorsSerializer],
    resource_type_field_name=None,
)
# Every operation: an unknown station or malformed body ends as a refusal
# too, and every client address is throttled (429).
COMMON_ERRORS = {400: BadRequestSerializer, 404: ErrorSerializer, 429: ErrorSerializer}


def _problem(detail: str, code: str, errors: dict | None = None, alternatives: list | None = None) -> dict:
    """The body of every refusal, whatever refused: one shape for clients."""
    return {"detail": detail, "code": code, "errors": errors or {}, "alternatives": alternatives or []}


def _api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with its {"detail"} bodies (unknown station, throttled,
    unreadable body…) given the refusal's shape; field errors stay as DRF
    renders them."""
    response = exception_handler(exc, context)
    if response is not None and not isinstance(exc, exceptions.ValidationError):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = _problem(str(detail), getattr(detail, "code", None) or "error")
    return response


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
    alternatives = SlotSerializer(getattr(error, "alternatives", None) or [], many=True).data
    return Response(_problem(" ".join(error.messages), code, errors, alternatives), status=http_status)


def _station(code: str) -> Dealer:
    return get_object_or_404(Dealer, code=code, is_active=True)


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [SlotsThrottle]

    def get_exception_handler(self) -> Any:
        return _api_exception_handler


# --- views -------------------------------------------------------------------------


class ServicesView(PublicView):
    @extend_schema(
        parameters=[CODE],
        responses={200: ServicesSerializer, 404: ErrorSerializer, 429: ErrorSerializer},
        summary="Services a station offers online",
    )
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
        responses={200: OfferSerializer, **COMMON_ERRORS},
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
        responses={201: BookingSerializer, **COMMON_ERRORS},
        summary="Book an appointment (known vehicle, or a new one with name, make and model)",
    )
    def post(self, request: Request, code: str) -> Response:
        station = _station(code)
        body = BookingCreateSerializer(data=request.data, context={"station": station})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plate, phone = normalize_plate(data["plate"]), normalize_phone(data["phone"])
        if not ratelimit.allow("public-phone", phone, limit=public.PHONE_LIMIT[0], window=public.PHONE_LIMIT[1]):
            return Response(_problem(_("Too many attempts. Please try again later."), "throttled"), status=429)
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
        return Response(_problem(error.message, code), status=410 if error.expired else 400)


LINK_ERRORS = {400: BadRequestSerializer, 410: ErrorSerializer, 429: ErrorSerializer}


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
