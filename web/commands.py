"""Flask CLI commands: migrate the database and load the demo clinic."""

from __future__ import annotations

import click
from flask import Flask

from ops.migrations import upgrade_database
from scheduler.demo import load_demo_clinic
from scheduler.errors import ValidationFailed
from scheduler.models import Role
from scheduler.staff.accounts import create_staff_user


def register(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate() -> None:
        """Bring the database schema up to date."""
        upgrade_database(app.extensions["clinic.settings"].database_url)
        click.echo("database is up to date")

    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an admin account (the first one, or another)."""
        settings = app.extensions["clinic.settings"]
        try:
            with app.extensions["clinic.db"].transaction() as session:
                create_staff_user(
                    session,
                    email=email,
                    name=name,
                    password=password,
                    role=Role.ADMIN,
                    now=app.extensions["clinic.clock"].now(),
                )
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"admin {email} created; sign in at {settings.public_base_url}/staff/login")

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo clinic when the database has no services yet."""
        with app.extensions["clinic.db"].transaction() as session:
            loaded = load_demo_clinic(session)
        click.echo("demo clinic loaded" if loaded else "clinic data already present; left as is")
