"""Domain core of the clinic scheduler: models, rules and use cases (no web or worker code)."""
