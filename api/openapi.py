"""The OpenAPI document at /openapi.json: flask-smorest's Api with the one error envelope, every
error response an operation can give, a servers entry, and the path converters' ranges.

tests/test_openapi.py validates the whole document; tests/test_schemathesis.py checks that
every response, for every role, matches it.
"""

from http import HTTPStatus

from apispec import BasePlugin
from flask_smorest import Api as SmorestApi
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

WRITES = ("post", "put", "patch", "delete")
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
DESCRIPTION = """Every error has one shape, `{"code", "status", "error", "message", "errors"}`:
`error` is a stable machine-readable code (listed in the README), `message` a short sentence
for people, `errors` field name to messages (empty when no one field is to blame).
Measurements are JSON numbers; instants are ISO 8601 in UTC; local times (quiet hours) carry no
UTC offset."""


class ErrorSchema(Schema):
    code = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    status = fields.String(required=True, metadata={"description": "The status's phrase"})
    error = fields.String(
        required=True,
        metadata={"description": "Stable machine-readable code", "example": "token_expired"},
    )
    message = fields.String(required=True, metadata={"description": "One sentence for people"})
    errors = fields.Dict(
        required=True,
        metadata={"description": "Field name to messages; nested objects for nested fields"},
    )


def _ref(status: int) -> str:
    name = HTTPStatus(status).name
    return f"{name}_RETRY" if status in (429, 503) else name


def _in_order(item) -> tuple:
    status = str(item[0])
    return status == "default", status


def possible_errors(path: str, method: str, operation: dict) -> list[int]:
    """The error statuses an operation can answer with, from what it takes and who may call."""
    statuses = [503]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if "requestBody" in operation:
        statuses += [400, 413, 422]
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses.append(422)
    if method in WRITES:
        statuses += [409, 422]
    return sorted(set(statuses))


class ErrorResponses(BasePlugin):
    """Documents on every operation the errors it can give, each with the error envelope."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for status in possible_errors(path, method, operation):
                if status not in responses and str(status) not in responses:
                    responses[status] = _ref(status)
            for status, response in responses.items():  # a bare description: add the body
                if isinstance(response, dict) and "content" not in response and status != 204:
                    response["content"] = {"application/json": {"schema": "Error"}}
            operation["responses"] = dict(sorted(responses.items(), key=_in_order))


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def _register_responses(self):
        super()._register_responses()
        for status in (429, 503):
            response = {
                "description": HTTPStatus(status).phrase,
                "schema": self.ERROR_SCHEMA,
                "headers": RETRY_AFTER,
            }
            prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(_ref(status), response, lazy=True)

    def _register_pagination_header(self):
        """X-Pagination is JSON text: `content`, not `schema` (which would mean an object
        serialized as k,v pairs)."""
        header = {
            "description": "Pagination metadata (JSON)",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }
        self.spec.components.header("PAGINATION", header, lazy=True)


def spec_options(public_base_url: str | None) -> dict:
    server = {"url": public_base_url or "/", "description": "This service"}
    return {"servers": [server], "info": {"description": DESCRIPTION}}


def make_api(app, id_converter) -> Api:
    app.config["API_SPEC_OPTIONS"] = spec_options(app.config["PUBLIC_BASE_URL"])
    api = Api(app, spec_kwargs={"extra_plugins": [ErrorResponses()]})
    api.register_converter(
        id_converter, lambda c: {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    return api
