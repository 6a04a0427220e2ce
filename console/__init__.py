"""The staff's web console: server-rendered pages over the same domain as the API.

`bp` serves /console/...; `links` serves /c/<token>, the opaque link in a nurse's SMS.
"""

from flask import Blueprint

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
links = Blueprint("links", __name__)

from console import admin, auth, views  # noqa: E402, F401 - routes register on import
