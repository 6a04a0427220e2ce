"""Symptom rules, alerts and the escalation policy engine (issue 5)."""
