"""Sign-in bodies and the tokens returned."""

from marshmallow import Schema, fields, validate

from api.schemas.fields import Text


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = Text(128, 1, required=True, load_only=True)


class RefreshSchema(Schema):
    refresh_token = Text(2048, 1, required=True, load_only=True)


class EnrollSchema(Schema):
    code = Text(32, 1, required=True, load_only=True, metadata={"example": "K7Q2M-9XD4-HPTA"})


class TokenSchema(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer(metadata={"description": "Access token lifetime, seconds"})


class EnrollmentCodeSchema(Schema):
    code = fields.String(metadata={"description": "Shown once; give it to the patient"})
    expires_at = fields.AwareDateTime()
