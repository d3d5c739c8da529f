"""Flask CLI commands: migrate the database and load the demo clinic."""

from __future__ import annotations

import click
from flask import Flask

from ops.migrations import upgrade_database
from scheduler.demo import load_demo_clinic


def register(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate() -> None:
        """Bring the database schema up to date."""
        upgrade_database(app.extensions["clinic.settings"].database_url)
        click.echo("database is up to date")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo clinic when the database has no services yet."""
        with app.extensions["clinic.db"].transaction() as session:
            loaded = load_demo_clinic(session)
        click.echo("demo clinic loaded" if loaded else "clinic data already present; left as is")
