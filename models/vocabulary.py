"""The service's vocabularies as enums, with their named groups and the one urgency rank used
by Python and by SQL. Every status column has a CHECK constraint built from these."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, case


class Urgency(StrEnum):
    NONE = "none"  # a report that needs nothing now
    ROUTINE = "routine"
    URGENT = "urgent"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)

    @classmethod
    def worst(cls, *levels) -> "Urgency":
        return max((cls(level) for level in levels), key=lambda u: u.rank, default=cls.NONE)

    @classmethod
    def sql_rank(cls, column):
        """The same rank in SQL, for ORDER BY (higher is more urgent)."""
        return case({u.value: u.rank for u in cls}, value=column, else_=0)


PAGED = (Urgency.URGENT, Urgency.EMERGENCY)  # urgencies that page the care team


class AlertStatus(StrEnum):
    OPEN = "open"  # nobody has taken it: escalation runs
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)  # a case a report may join


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    DEAD = "dead"
    EXPIRED = "expired"
    OPTED_OUT = "opted_out"


# Never sent again; of those, the ones that did not get through (a page then moves on).
FINAL = tuple(s for s in MessageStatus if s not in (MessageStatus.QUEUED, MessageStatus.SENDING))
UNDELIVERABLE = (
    MessageStatus.UNDELIVERED,
    MessageStatus.FAILED,
    MessageStatus.DEAD,
    MessageStatus.EXPIRED,
    MessageStatus.OPTED_OUT,
)
RETRYABLE = (MessageStatus.DEAD, MessageStatus.FAILED, MessageStatus.EXPIRED)  # by an admin


class Purpose(StrEnum):
    ESCALATION = "escalation"
    SYSTEM = "system"
    REMINDER = "reminder"


class Channel(StrEnum):
    SMS = "sms"
    PUSH = "push"  # Firebase Cloud Messaging (Android, and iOS through FCM's APNs relay)
    CALL = "call"  # a Twilio voice call: pages only


class DevicePlatform(StrEnum):
    ANDROID = "android"
    IOS = "ios"


class NotificationKind(StrEnum):
    REMINDER = "reminder"  # reminders fell due: the app's inbox has them
    CASE_SEEN = "case_seen"  # the care team has seen the patient's report


class ReminderStatus(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class PatientStatus(StrEnum):
    ACTIVE = "active"
    UNENROLLED = "unenrolled"


class PageKind(StrEnum):
    PAGE = "page"  # asks for an acknowledgement
    NOTICE = "notice"  # E-JOIN-1: a new report on a case its holder took


def one_of(column: str, vocabulary, name: str | None = None) -> CheckConstraint:
    values = ", ".join(f"'{v}'" for v in vocabulary)
    return CheckConstraint(f"{column} IN ({values})", name=name or column)
