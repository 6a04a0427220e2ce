"""Marshmallow schemas: they shape and validate data; the domain holds the rules."""
