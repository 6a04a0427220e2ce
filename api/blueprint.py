"""The API's Blueprint: flask-smorest's, with the strict request parser (api/inputs.py) for
bodies and query strings, and pages bounded so an offset always fits the database."""

from functools import wraps

import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import abort

from api.inputs import StrictParser

MAX_PAGE = 2**31 - 1  # (page - 1) * page_size stays far inside a 64-bit OFFSET
PAGE_MESSAGE = f"Must be greater than or equal to 1 and less than or equal to {MAX_PAGE}."


def _bounded(schema: type[ma.Schema]) -> type[ma.Schema]:
    """flask-smorest's page schema with `page` at most MAX_PAGE, for the OpenAPI document."""
    page = schema._declared_fields["page"]
    bounded_page = ma.fields.Integer(
        load_default=page.load_default, validate=ma.validate.Range(min=1, max=MAX_PAGE)
    )
    return type(schema.__name__, (schema,), {"page": bounded_page})


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = StrictParser()
    PAGINATION_ARGUMENTS_PARSER = StrictParser()

    def paginate(self, pager=None, **kwargs):
        """flask-smorest's pagination (in the resource), refusing pages past MAX_PAGE."""
        paginate = super().paginate(pager, **kwargs)

        def decorator(func):
            @wraps(func)
            def bounded(*args, pagination_parameters, **kw):
                if pagination_parameters.page > MAX_PAGE:
                    message = (
                        f"Must be greater than or equal to 1 and less than or equal to {MAX_PAGE}."
                    )
                    abort(422, messages={"query": {"page": [message]}})
                return func(*args, pagination_parameters=pagination_parameters, **kw)

            wrapper = paginate(bounded)
            parameters = wrapper._apidoc["pagination"]["parameters"]
            parameters["schema"] = _bounded(parameters["schema"])
            return wrapper

        return decorator
