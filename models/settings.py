"""Versions of each clinic's clinical values (overrides of clinical.registry's defaults)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, utcnow


class ClinicalSetting(db.Model):
    """One version: the clinic's overrides after one change. The newest is in force; none is
    ever changed or deleted, so what was in force at any time can be read back."""

    __tablename__ = "clinical_settings"
    __table_args__ = (UniqueConstraint("clinic_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    version: Mapped[int]
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)  # {name: value}, JSON-safe
    changed: Mapped[list] = mapped_column(JSON, default=list)  # the names this version changed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
