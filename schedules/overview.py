"""A patient's reminders as the care team sees them: the next of each rule (and how many follow),
the latest ones sent, each with its title and text."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from models import Patient, Reminder
from models.vocabulary import ReminderStatus
from schedules.reconcile import effective_rules
from schedules.texts import reminder_text, reminder_title


@dataclass
class Line:
    reminder: Reminder
    title: str
    text: str | None
    more: int = 0  # planned occurrences of the same rule after this one


def reminder_overview(session, patient: Patient, language: str) -> tuple[list, list]:
    """(the next planned reminder of each rule, the latest 30 others), as Lines."""
    rules = {r.id: r for r in effective_rules(session, patient.clinic_id)}
    reminders = session.scalars(
        select(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.status != ReminderStatus.CANCELLED)
        .order_by(Reminder.due_at)
    ).all()

    def line(reminder, more=0):
        rule = rules.get(reminder.rule_id)
        if rule is None:
            return Line(reminder, reminder.rule_id, None, more)
        text = reminder_text(rule, reminder.kind, language, reminder.ends_on)
        return Line(reminder, reminder_title(rule, language), text, more)

    first, count = {}, defaultdict(int)
    for reminder in reminders:
        if reminder.status == ReminderStatus.PLANNED:
            first.setdefault(reminder.rule_id, reminder)
            count[reminder.rule_id] += 1
    upcoming = [line(r, count[r.rule_id] - 1) for r in first.values()]
    past = [line(r) for r in reminders if r.status != ReminderStatus.PLANNED][-30:]
    return sorted(upcoming, key=lambda x: x.reminder.due_at), past
