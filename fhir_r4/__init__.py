"""FHIR R4 views of this service's rows: mapping to resources, search, Bulk Data export.

Flask-free: functions take the session, the service's base URL, the clinic and `now` as
arguments, and never commit (the export run's commit points are the caller's, see export.py).
Resources are validated and serialised by fhir.resources (its R4B models; the resource types
emitted here are the same in R4 and R4B).
"""
