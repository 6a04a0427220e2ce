"""Pagination of SQLAlchemy selects for flask-smorest's `@blp.paginate()`."""

from sqlalchemy import func, select

from models import db


def paginate(stmt, pagination_parameters):
    """Run one page of `stmt`; the total goes to the X-Pagination header."""
    pagination_parameters.item_count = db.session.scalar(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    )
    page = stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item)
    return db.session.scalars(page).all()
