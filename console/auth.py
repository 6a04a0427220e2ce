"""Console sign-in: the staff's accounts (access.signin), a Flask-Login session tied to a
revocable token family, an idle timeout, and the SMS link that leads through sign-in to the
alert. Who is signed in is loaded lazily, so the JSON API never pays for it."""

import time
import unicodedata
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from access import context, families, signin
from access.audit import record
from console import bp, links
from models import AlertPage, Staff, TokenFamily, db, utcnow
from models.errors import Unauthorized

login_manager = LoginManager()
# The console's own limiter (the API has its own): sign-in attempts per client address.
limiter = Limiter(get_remote_address)


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=128)])


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


class ConsoleUser(UserMixin):
    """A signed-in staff member and the token family of this console session."""

    def __init__(self, staff: Staff, family_id: str):
        self.staff, self.family_id = staff, family_id

    def get_id(self) -> str:
        return f"{self.staff.id}:{self.family_id}"

    @property
    def is_admin(self) -> bool:
        return self.staff.role == "admin"


@login_manager.user_loader
def load_user(user_id: str) -> ConsoleUser | None:
    """The session's staff member, unless it was signed out, deactivated or left idle."""
    staff_id, _, family_id = user_id.partition(":")
    idle = time.time() - session.get("seen", 0) > current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    staff = db.session.get(Staff, int(staff_id)) if staff_id.isdigit() else None
    if idle or staff is None or not staff.active or not families.is_live(db.session, family_id):
        return None
    session["seen"] = int(time.time())
    context.set_actor(staff)
    return ConsoleUser(staff, family_id)


@login_manager.unauthorized_handler
def _to_sign_in():
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def me() -> Staff:
    """The signed-in staff member (after login_required)."""
    return current_user.staff


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


# Where sign-in may send people on: the console's own pages and the SMS link.
NEXT_PREFIXES = ("/console/", "/c/")
NEXT_MAX_LENGTH = 2048


def safe_next(target: str | None) -> str:
    """The page to open after sign-in: a path of this console, else the board.

    Judged as the browser will read it: browsers drop tabs and newlines anywhere in a URL and
    read a backslash as a slash, so "/<TAB>/evil.example" and "/\\evil.example" mean
    //evil.example. So any control or format character (Unicode category C) and any backslash
    refuse it; then, like Django's url_has_allowed_host_and_scheme, what urllib parses must
    have no scheme and no host, and the path must be one of the console's.
    """
    board = url_for("console.board")
    if not target or len(target) > NEXT_MAX_LENGTH or "\\" in target:
        return board
    if any(unicodedata.category(char).startswith("C") for char in target):
        return board
    if not target.startswith(NEXT_PREFIXES):
        return board
    parts = urlsplit(target)
    return board if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    form, error = LoginForm(), None
    if form.validate_on_submit():
        try:
            staff = signin.authenticate_staff(
                db.session, form.email.data, form.password.data, via="console", now=utcnow()
            )
        except Unauthorized:
            db.session.commit()  # the audited failure (access.signin recorded it)
            error = _("Wrong email or password.")
        else:
            family = families.start_family(db.session, staff, now=utcnow())
            db.session.commit()
            language = session.get("lang")
            session.clear()
            session.update(seen=int(time.time()), **({"lang": language} if language else {}))
            login_user(ConsoleUser(staff, family.id))
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
    return render_template("console/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    if current_user.is_authenticated and ActionForm().validate_on_submit():
        family = db.session.get(TokenFamily, current_user.family_id)
        if family is not None:
            families.revoke_family(family, now=utcnow(), reason="logout")
        record(db.session, "console.logout", actor=me())
        db.session.commit()
        logout_user()
        session.clear()
    return redirect(url_for("console.login"))


@links.get("/c/<token>")
def sms_link(token):
    """The link in a nurse's page: opaque, expiring, no PHI; sign-in comes first."""
    page = db.session.scalar(select(AlertPage).where(AlertPage.link_token == token))
    hours = current_app.config["CONSOLE_LINK_HOURS"]
    if page is None or utcnow() - page.paged_at > timedelta(hours=hours):
        return render_template("console/error.html", message=_("This link has expired.")), 404
    if not current_user.is_authenticated:
        return redirect(url_for("console.login", next=f"/c/{token}"))
    return redirect(url_for("console.alert", alert_id=page.alert_id))
