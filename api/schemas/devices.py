"""The patient app's devices (push tokens, never returned) and its notices."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Instant, OneOf, StrictBool, Text
from models.patients import LANGUAGES
from models.vocabulary import DevicePlatform, NotificationKind


class DeviceSchema(Schema):
    id = fields.Integer(dump_only=True)
    platform = OneOf(tuple(DevicePlatform), required=True)
    token = Text(
        512,
        1,
        required=True,
        load_only=True,
        metadata={"description": "The FCM registration token (never returned)"},
    )
    previous_token = Text(
        512,
        1,
        load_only=True,
        metadata={"description": "The token FCM rotated away from, if any: it is removed"},
    )
    app_version = Text(32, allow_none=True, load_default=None)
    language = fields.String(validate=validate.OneOf(LANGUAGES), load_default=None)
    notifications_consent = StrictBool(
        required=True, metadata={"description": "The patient allowed notifications in the app"}
    )
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class NotificationSchema(Schema):
    id = fields.String(attribute="public_id", metadata={"description": "The id a push carries"})
    kind = OneOf(tuple(NotificationKind))
    created_at = Instant()
    opened_at = Instant(allow_none=True)
    content_path = fields.String(
        metadata={"description": "Where the app reads what the notice is about"}
    )
