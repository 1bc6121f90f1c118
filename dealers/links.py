"""Links sent to customers: one salt per purpose, and one log line per refusal.

A customer opens these links without signing in, so the token is the only
key. Each is signed (django.core.signing) with the salt of its purpose, so a
booking link can never be used as an approval link or the other way round,
and each expires (the periods are settings, see `CUSTOMER_LINK_*` in
dealer_service/settings.py). The apps that issue links decide what else
makes one unusable (used up, superseded); this module only names the
purposes and writes the refusal log in one format:

    customer link refused: purpose=<purpose> reason=<reason> ip=<client IP> token=<fingerprint>

`reason` is one of REASONS. The fingerprint is a short hash, enough to tell
the attempts on one link apart without writing the link itself (a logged
token would open the customer's booking for whoever reads the log).
"""

from __future__ import annotations

import hashlib
import logging

from django.core import signing

logger = logging.getLogger("dealer_service.links")

BOOKING = "booking"  # view, cancel or move an online booking (appointments.public)
APPROVAL = "approval"  # approve or decline additional work (workshop.findings)

# The salts are part of every token already sent: changing one breaks those links.
SALTS: dict[str, str] = {
    BOOKING: "appointments.public.link",
    APPROVAL: "workshop.findings.approve",
}

TAMPERED = "tampered"  # the signature does not verify, or the content is not ours
EXPIRED = "expired"
REPLAYED = "replayed"  # a one-time action asked for again
WRONG_PURPOSE = "wrong_purpose"  # a genuine link of another purpose
SUPERSEDED = "superseded"  # a newer link for the same thing was sent
UNKNOWN = "unknown"  # genuine, but what it names is gone
REASONS = (TAMPERED, EXPIRED, REPLAYED, WRONG_PURPOSE, SUPERSEDED, UNKNOWN)


def salt(purpose: str) -> str:
    return SALTS[purpose]


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def bad_signature_reason(token: str, purpose: str) -> str:
    """Why a token did not verify for `purpose`: a genuine link of another
    purpose, or tampered. (Signer.unsign also verifies a TimestampSigner's
    token of the same salt, so one check covers both formats.)"""
    for other, other_salt in SALTS.items():
        if other == purpose:
            continue
        try:
            signing.Signer(salt=other_salt).unsign(token)
        except signing.BadSignature:
            continue
        return WRONG_PURPOSE
    return TAMPERED


def log_refusal(purpose: str, reason: str, *, client_ip: str = "", token: str = "") -> None:
    """The one log line for a refused customer link (see the module docstring)."""
    logger.warning(
        "customer link refused: purpose=%s reason=%s ip=%s token=%s",
        purpose,
        reason,
        client_ip or "unknown",
        fingerprint(token) if token else "-",
    )
