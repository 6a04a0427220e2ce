"""Flask extensions, created unbound and initialised by create_app().

flask-smorest's Api is made per app in create_app(): it holds that app's OpenAPI spec.
"""

from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

jwt = JWTManager()
migrate = Migrate(render_as_batch=True, compare_type=True)
limiter = Limiter(key_func=get_remote_address, default_limits=[])
csrf = CSRFProtect()  # the console's forms; the JSON API (bearer tokens) is exempt
