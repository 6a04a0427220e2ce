"""Reminder rules from the label, planning, reconciliation and the worker jobs (issue 4)."""
