"""The clinical values a clinic may tune, with their sources and limits (no Flask, no database)."""
