"""Messages to customers: SMS, e-mail and letters (ARCHITECTURE.md "Time").

- backends/: pluggable senders chosen by settings (SMS_BACKEND; e-mail via
  django.core.mail and EMAIL_BACKEND), in the style of Django's mail backends.
- texts.py: the default wording per kind × channel × language.
- rendering.py: which wording applies (station row > default row > code).
- sending.py: `send_due(now)`, the sweep's step "followup.messages".
- letters.py: the printed batch of queued letters.
"""

from followup.messaging.sending import MAX_TRIES, occurrence_key, send_due

__all__ = ["MAX_TRIES", "occurrence_key", "send_due"]
