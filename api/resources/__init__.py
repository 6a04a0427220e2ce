"""One blueprint per resource; `BLUEPRINTS` is the explicit list create_app() registers."""
