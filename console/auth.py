"""Console sign-in: the staff's API accounts, a session cookie tied to a revocable token family,
an idle timeout, and the SMS link that leads through sign-in to the alert."""

import time
import unicodedata
import uuid
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from api.audit import audit
from api.auth import tokens
from api.auth.passwords import verify_password
from api.extensions import limiter
from console import bp, links
from models import AlertPage, Staff, TokenFamily, db, utcnow


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=254)])
    password = PasswordField(validators=[DataRequired(), Length(max=128)])


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""


@bp.before_app_request
def load_staff():
    """Who is signed in to the console; sessions end on logout, deactivation or idleness."""
    g.staff = None
    staff_id, family_id = session.get("staff_id"), session.get("family")
    if staff_id is None:
        return
    staff = db.session.get(Staff, staff_id)
    family = db.session.get(TokenFamily, family_id)
    idle = time.time() - session.get("seen", 0) > current_app.config["CONSOLE_IDLE_MINUTES"] * 60
    if staff is None or not staff.active or family is None or family.revoked_at or idle:
        if family is not None and idle:
            tokens.revoke_family(family, now=utcnow(), reason="idle")
            db.session.commit()
        session.clear()
        return
    session["seen"] = int(time.time())
    g.staff = staff


def staff_required(admin: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.staff is None:
                return redirect(url_for("console.login", next=request.full_path))
            if admin and g.staff.role != "admin":
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


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
        email = form.email.data.strip().lower()
        staff = db.session.scalar(select(Staff).where(func.lower(Staff.email) == email))
        if verify_password(staff.password_hash if staff else None, form.password.data) and (
            staff.active
        ):
            family = TokenFamily(
                id=str(uuid.uuid4()), subject_type="staff", subject_id=staff.id, created_at=utcnow()
            )
            db.session.add(family)
            audit("console.login", actor=staff)
            db.session.commit()
            session.clear()
            session.update(staff_id=staff.id, family=family.id, seen=int(time.time()))
            session.permanent = True
            return redirect(safe_next(request.args.get("next")))
        audit("console.login", actor=staff, outcome="failure")
        db.session.commit()
        error = _("Wrong email or password.")
    return render_template("console/login.html", form=form, error=error), 401 if error else 200


@bp.post("/logout")
@staff_required()
def logout():
    if ActionForm().validate_on_submit():
        family = db.session.get(TokenFamily, session.get("family"))
        if family is not None:
            tokens.revoke_family(family, now=utcnow(), reason="logout")
        audit("console.logout", actor=g.staff)
        db.session.commit()
        session.clear()
    return redirect(url_for("console.login"))


@links.get("/c/<token>")
def sms_link(token):
    """The link in a nurse's page: opaque, expiring, no PHI; sign-in comes first."""
    page = db.session.scalar(select(AlertPage).where(AlertPage.link_token == token))
    hours = current_app.config["CONSOLE_LINK_HOURS"]
    if page is None or utcnow() - page.paged_at > timedelta(hours=hours):
        return render_template("console/error.html", message=_("This link has expired.")), 404
    if g.get("staff") is None:
        return redirect(url_for("console.login", next=f"/c/{token}"))
    return redirect(url_for("console.alert", alert_id=page.alert_id))
