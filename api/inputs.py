"""Input refused before any schema sees it: JSON that is unsafe to parse or store, and the NUL
character, which PostgreSQL text cannot hold (a 500 there, and the value in the error).

`StrictParser` is the request parser of every API blueprint (api/blueprint.py), so bodies and
query strings of every endpoint pass through it; `refuse_nul_outside_the_api` is the request
hook for paths and for the console's forms and queries.
"""

from flask import abort, request
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as webargs_abort

from access.untrusted import NUL, NUL_MESSAGE, UnsafeJSON, loads, nul_errors


class StrictParser(FlaskParser):
    def load_json(self, req, schema):
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data.strip():
            return core.missing
        try:
            value = loads(data)
        except UnsafeJSON as exc:
            webargs_abort(400, message=str(exc), error="invalid_json")
        errors = nul_errors(value)
        if errors:
            raise ValidationError(errors)
        return value

    def load_querystring(self, req, schema):
        errors = {k: [NUL_MESSAGE] for k, v in req.args.items(multi=True) if NUL in k + v}
        if errors:
            raise ValidationError(errors)
        return super().load_querystring(req, schema)


def refuse_nul_outside_the_api() -> None:
    """A NUL in a path names nothing (404); in a console form or query it is a bad request."""
    if NUL in request.path:
        abort(404)
    if request.blueprint in ("console", "links"):
        pairs = [*request.args.items(multi=True), *request.form.items(multi=True)]
        if any(NUL in key + value for key, value in pairs):
            abort(400)
