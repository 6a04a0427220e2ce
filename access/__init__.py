"""Who may do what, and the record of it: staff sign-in, token families, patients' enrollment
codes, audit recording, and the loaders that never cross a clinic. No Flask: the JSON API and
the staff console are peer adapters over it (docs/ARCHITECTURE.md)."""
