"""Flask CLI commands: migrate the database, create an admin, and load the demo clinic."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ops.migrations import upgrade_database
from scheduler.demo import load_demo_clinic
from scheduler.errors import ValidationFailed
from scheduler.models import Role
from scheduler.staff.accounts import create_staff_user
from web.context import clock, db, settings


@click.command("migrate")
@with_appcontext
def migrate() -> None:
    """Bring the database schema up to date."""
    upgrade_database(settings().database_url)
    click.echo("database is up to date")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(email: str, name: str, password: str) -> None:
    """Create an admin account (the first one, or another)."""
    try:
        with db().transaction() as session:
            create_staff_user(
                session,
                email=email,
                name=name,
                password=password,
                role=Role.ADMIN,
                now=clock().now(),
            )
    except ValidationFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"admin {email} created; sign in at {settings().public_base_url}/staff/login")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo clinic when the database has no services yet."""
    with db().transaction() as session:
        loaded = load_demo_clinic(session, settings(), clock().now())
    click.echo("demo clinic loaded" if loaded else "clinic data already present; left as is")


def register(app: Flask) -> None:
    """Add the clinic's commands to the app's ``flask`` command."""
    for command in (migrate, create_admin, seed_demo):
        app.cli.add_command(command)
