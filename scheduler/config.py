"""The application's configuration: one typed object read from the environment once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import phonenumbers
from babel import Locale, UnknownLocaleError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMS_BACKENDS = ("console", "twilio")
EMAIL_BACKENDS = ("console", "smtp")
# SMTP_URL schemes: how the connection is secured, and the port when the URL names none.
SMTP_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
ENVIRONMENTS = ("development", "test", "production")
SWITCH_WORDS = {"1": True, "true": True, "yes": True, "on": True} | {
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}
# A session-signing key shorter than this can be guessed offline from one signed cookie.
SHORTEST_SECRET_KEY = 32
# A Celery task's time limits (workers/celery_app.py): the soft one interrupts it, the hard one
# kills its process.
TASK_SOFT_TIME_LIMIT_S = 45
TASK_TIME_LIMIT_S = 60
# What a send task keeps, within its soft limit, for recording its answers after its last call.
RECORDING_MARGIN_S = 5.0


class ConfigurationError(RuntimeError):
    """The environment does not describe a configuration the application can run with."""


@dataclass(frozen=True)
class TwilioSettings:
    """Credentials and endpoints of the Twilio account that sends the clinic's SMS."""

    account_sid: str = ""
    auth_token: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    api_base_url: str = ""
    request_timeout_s: float = 10.0


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how email is handed over: an SMTP_URL taken apart."""

    security: str  # "plain", "starttls" or "tls" (implicit TLS from the first byte)
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://[user:password@]host[:port]``, the user
    and password percent-decoded.

    :raise ConfigurationError: naming what is wrong (never echoing the password).
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in SMTP_SCHEMES:
        raise ConfigurationError(
            f"SMTP_URL must start with {', '.join(f'{s}://' for s in SMTP_SCHEMES)} "
            f"(got {parts.scheme + '://' if parts.scheme else 'no scheme'})"
        )
    security, default_port = SMTP_SCHEMES[parts.scheme.lower()]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ConfigurationError("SMTP_URL has a port that is no number from 1 to 65535") from exc
    if not parts.hostname:
        raise ConfigurationError("SMTP_URL names no host, e.g. smtp+starttls://smtp.example.com")
    return SmtpEndpoint(
        security=security,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


@dataclass(frozen=True)
class Settings:
    """Everything the web app, the workers and the tools need to know about their environment."""

    environment: str = "development"
    instance_path: Path = PROJECT_ROOT / "instance"
    database_url: str = ""
    redis_url: str = ""
    sms_backend: str = "console"
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    # Email: "console" logs it, "smtp" hands it to the server SMTP_URL names.
    email_backend: str = "console"
    smtp_url: str = field(default="", repr=False)
    # The From of every email; empty means "<clinic name> <bookings@localhost>".
    email_from: str = ""
    smtp_timeout_s: float = 10.0
    clinic_name: str = "Clearwater Clinic"
    clinic_phone: str = "+44 20 7946 0000"
    clinic_timezone: str = "Europe/London"
    default_phone_region: str = "GB"
    # Whose bank holidays set-up offers as closures: an ISO country code, and where holidays
    # differ within it a region as the `holidays` library names it (GB: ENG, NIR, SCT, WLS).
    clinic_country: str = "GB"
    clinic_subdivision: str = ""
    public_base_url: str = "http://127.0.0.1:5000"
    # How dates and times read on every page and text (a CLDR locale, formatted with Babel).
    clinic_locale: str = "en_GB"
    # Minutes an open safety alert may wait before it is escalated to every clinical account.
    safety_alert_escalate_minutes: int = 30
    secret_key: str = ""
    dispatch_interval_s: float = 2.0
    dispatch_batch_size: int = 500
    send_batch_size: int = 100
    send_concurrency: int = 4
    requeue_after_s: float = 120.0
    heartbeat_interval_s: float = 10.0
    reconcile_after_s: float = 90.0
    reconcile_interval_s: float = 30.0
    max_request_bytes: int = 64 * 1024
    emergency_number: str = "999"
    sms_rate_per_second: float = 10.0
    sms_daily_cap: int = 4
    twilio_error_actions: tuple[tuple[int, str], ...] = ()
    # Another copy of scheduler/data/questionnaires.json (e.g. the licensed HIT-6 wording).
    questionnaires_file: str = ""
    hit6_meaningful_change: int = 5
    # Where texts may go: ISO region codes (GB, IE, ...); empty means the clinic's own region.
    sms_allowed_countries: tuple[str, ...] = ()
    # Limits on anonymous work (per address, per phone, per personal link); off only in tests
    # and benchmarks that drive many requests from one address on purpose.
    rate_limits_enabled: bool = True
    # Visits a course request may leave held (``proposed``): per patient (their number), and
    # per requesting address over a day.
    held_visits_per_patient: int = 40
    held_visits_per_address: int = 60
    # The clinic-wide ceiling on never-texted numbers texted in an hour (0: no ceiling).
    new_numbers_per_hour: int = 50
    # Reverse proxies in front of the web app whose X-Forwarded-For/-Proto are believed; 0
    # trusts none (a client could otherwise pick the address its limits are counted against).
    trusted_proxy_hops: int = 0

    def __post_init__(self) -> None:
        if not self.email_from:
            object.__setattr__(self, "email_from", default_email_from(self.clinic_name))

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def sms_regions(self) -> tuple[str, ...]:
        """The regions texts may go to: SMS_ALLOWED_COUNTRIES, or else the clinic's own."""
        return self.sms_allowed_countries or (self.default_phone_region,)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)

    @property
    def longest_call_s(self) -> float:
        """The longest one provider call may take: Twilio's request timeout, or the SMTP
        timeout an email's whole session keeps within."""
        return max(self.twilio.request_timeout_s, self.smtp_timeout_s)

    @property
    def send_deadline_s(self) -> float:
        """How long after its claim a send may still start: reconciliation, which looks rows
        up once they are older than ``reconcile_after_s``, must find no call in flight (a text's
        call takes at most the Twilio timeout, an email's the SMTP timeout in all)."""
        return max(0.5, self.reconcile_after_s - self.longest_call_s - 1.0)

    @property
    def send_task_budget_s(self) -> float:
        """How long after it starts a send task may still start a call: its last call, of at
        most the longest timeout, and the recording of every answer end within the task's
        soft time limit (a task of many emails, each its own SMTP session, hands the rest back
        rather than run past it)."""
        return max(1.0, TASK_SOFT_TIME_LIMIT_S - self.longest_call_s - RECORDING_MARGIN_S)

    def manage_url(self, token: str) -> str:
        """The patient's personal link for a manage token."""
        return f"{self.public_base_url}/m/{token}"

    @property
    def status_callback_url(self) -> str:
        return f"{self.public_base_url}/webhooks/twilio/status"

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests and tools)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _float(env, name, default)
    if value != int(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a positive whole number")
    return int(value)


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number, zero or more.

    :raise ConfigurationError: if the value is not one.
    """
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, 0 or more, got {raw!r}")
    return int(raw)


def _secret_key(env: Mapping[str, str], environment: str, instance_path: Path) -> str:
    """The configured key; in development a key generated once into the instance folder.

    :raise ConfigurationError: in production, if the key is missing or too short to resist an
        offline guess.
    """
    key = env.get("SECRET_KEY", "")
    if environment == "production":
        return _production_key(key)
    if key:
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _production_key(key: str) -> str:
    """:raise ConfigurationError: if ``key`` is missing or shorter than
    ``SHORTEST_SECRET_KEY``."""
    if not key:
        raise ConfigurationError("SECRET_KEY must be set in production")
    if len(key) < SHORTEST_SECRET_KEY:
        raise ConfigurationError(
            f"SECRET_KEY must be at least {SHORTEST_SECRET_KEY} characters in production "
            f"(it has {len(key)}); make one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    return key


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """On or off: 1, true, yes, on / 0, false, no, off."""
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw not in SWITCH_WORDS:
        raise ConfigurationError(f"{name} must be on or off (1, true, yes / 0, false, no)")
    return SWITCH_WORDS[raw]


def _regions(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated ISO region codes, like ``GB,IE``.

    :raise ConfigurationError: naming a code that is no region phone numbers know.
    """
    codes = [part.strip().upper() for part in env.get(name, "").split(",") if part.strip()]
    unknown = [code for code in codes if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ConfigurationError(f"{name}: {', '.join(unknown)} is not a region code like GB or IE")
    return tuple(dict.fromkeys(codes)) or default


def _text(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default)


def _upper(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default).upper()


def _country(env: Mapping[str, str], name: str, default: str) -> str:
    """:raise ConfigurationError: if the `holidays` library knows no such country."""
    code = env.get(name, default).strip().upper()
    if code not in holidays.list_supported_countries():
        raise ConfigurationError(f"{name} {code!r} is not a country code like GB or IE")
    return code


def _subdivision(env: Mapping[str, str], name: str, default: str) -> str:
    """The region within CLINIC_COUNTRY, spelt as the `holidays` library spells it.

    :raise ConfigurationError: if the country has no such region.
    """
    country = _country(env, "CLINIC_COUNTRY", Settings.clinic_country)
    code = env.get(name, default).strip()
    if not code:
        return ""
    known = {k.upper(): k for k in holidays.list_supported_countries()[country]}
    if code.upper() not in known:
        shown = ", ".join(sorted(known.values())[:12]) or "none"
        raise ConfigurationError(f"{name} {code!r} is not a region of {country} ({shown})")
    return known[code.upper()]


def _locale(env: Mapping[str, str], name: str, default: str) -> str:
    """A CLDR locale (en-GB or en_GB), spelt as Babel spells it.

    :raise ConfigurationError: if Babel knows no such locale.
    """
    raw = env.get(name, default).strip().replace("-", "_")
    try:
        return str(Locale.parse(raw))
    except (ValueError, UnknownLocaleError) as exc:
        raise ConfigurationError(f"{name} {raw!r} is not a locale like en-GB or en-IE") from exc


def _base_url(env: Mapping[str, str], name: str, default: str) -> str:
    return env.get(name, default).rstrip("/")


# Settings read as they are: the field, its environment variable, and the reader that checks
# and tidies it. The defaults are those of ``Settings``. Numbers are read in this order, so a
# malformed one is reported first whatever else is wrong later.
PLAIN_VALUES: tuple[tuple[str, str, Callable[[Mapping[str, str], str, Any], object]], ...] = (
    ("redis_url", "REDIS_URL", _text),
    ("clinic_name", "CLINIC_NAME", _text),
    ("clinic_phone", "CLINIC_PHONE", _text),
    ("default_phone_region", "DEFAULT_PHONE_REGION", _upper),
    ("clinic_country", "CLINIC_COUNTRY", _country),
    ("clinic_subdivision", "CLINIC_SUBDIVISION", _subdivision),
    ("public_base_url", "PUBLIC_BASE_URL", _base_url),
    ("clinic_locale", "CLINIC_LOCALE", _locale),
    ("safety_alert_escalate_minutes", "SAFETY_ALERT_ESCALATE_MINUTES", _int),
    ("dispatch_interval_s", "DISPATCH_INTERVAL_SECONDS", _float),
    ("dispatch_batch_size", "DISPATCH_BATCH_SIZE", _int),
    ("send_batch_size", "SEND_BATCH_SIZE", _int),
    ("send_concurrency", "SEND_CONCURRENCY", _int),
    ("requeue_after_s", "REQUEUE_AFTER_SECONDS", _float),
    ("heartbeat_interval_s", "HEARTBEAT_INTERVAL_SECONDS", _float),
    ("reconcile_after_s", "RECONCILE_AFTER_SECONDS", _float),
    ("reconcile_interval_s", "RECONCILE_INTERVAL_SECONDS", _float),
    ("emergency_number", "EMERGENCY_NUMBER", _text),
    ("sms_rate_per_second", "SMS_RATE_PER_SECOND", _float),
    ("sms_daily_cap", "SMS_DAILY_CAP", _int),
    ("questionnaires_file", "QUESTIONNAIRES_FILE", _text),
    ("sms_allowed_countries", "SMS_ALLOWED_COUNTRIES", _regions),
    ("rate_limits_enabled", "RATE_LIMITS_ENABLED", _switch),
    ("held_visits_per_patient", "HELD_VISITS_PER_PATIENT", _int),
    ("held_visits_per_address", "HELD_VISITS_PER_ADDRESS", _int),
    ("new_numbers_per_hour", "NEW_NUMBERS_PER_HOUR", _count),
    ("trusted_proxy_hops", "TRUSTED_PROXY_HOPS", _count),
)


def _plain_values(env: Mapping[str, str]) -> dict[str, Any]:
    """Every field of ``PLAIN_VALUES`` from the environment, or its default.

    :raise ConfigurationError: if a number is malformed.
    """
    return {field: read(env, name, getattr(Settings, field)) for field, name, read in PLAIN_VALUES}


def _one_of(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """:raise ConfigurationError: if the value is not one of ``allowed``."""
    value = env.get(name, default)
    if value not in allowed:
        raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _twilio(env: Mapping[str, str], sms_backend: str) -> TwilioSettings:
    """The Twilio account's settings.

    :raise ConfigurationError: if the texts go through Twilio and the account is incomplete.
    """
    twilio = TwilioSettings(
        account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        from_number=env.get("TWILIO_FROM_NUMBER", ""),
        messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
        api_base_url=env.get("TWILIO_API_BASE_URL", ""),
        request_timeout_s=_float(env, "TWILIO_REQUEST_TIMEOUT", 10.0),
    )
    if sms_backend == "twilio":
        _check_twilio_account(twilio)
    return twilio


def _check_twilio_account(twilio: TwilioSettings) -> None:
    """:raise ConfigurationError: naming every credential or sender that is missing."""
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", twilio.account_sid),
            ("TWILIO_AUTH_TOKEN", twilio.auth_token),
        )
        if not value
    ]
    if not (twilio.from_number or twilio.messaging_service_sid):
        missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
    if missing:
        raise ConfigurationError(f"SMS_BACKEND=twilio needs {', '.join(missing)}")


def default_email_from(clinic_name: str) -> str:
    """``"<clinic name>" <bookings@localhost>``, the name quoted where it needs to be."""
    return str(Address(display_name=clinic_name, addr_spec="bookings@localhost"))


def _email(env: Mapping[str, str]) -> dict[str, Any]:
    """The email settings.

    :raise ConfigurationError: if the backend is unknown, SMTP_URL is missing or malformed
        while email goes by SMTP, EMAIL_FROM holds no address, or SMTP_TIMEOUT is not positive.
    """
    backend = _one_of(env, "EMAIL_BACKEND", "console", EMAIL_BACKENDS)
    smtp_url = env.get("SMTP_URL", "").strip()
    if backend == "smtp" and not smtp_url:
        raise ConfigurationError("EMAIL_BACKEND=smtp needs SMTP_URL, e.g. smtps://user:pw@host")
    if smtp_url:
        parse_smtp_url(smtp_url)
    clinic_name = env.get("CLINIC_NAME", Settings.clinic_name)
    sender = env.get("EMAIL_FROM", "").strip() or default_email_from(clinic_name)
    if "@" not in parseaddr(sender)[1]:
        raise ConfigurationError(f"EMAIL_FROM {sender!r} is no address like Clinic <a@b.example>")
    timeout = _float(env, "SMTP_TIMEOUT", 10.0)
    if timeout <= 0:
        raise ConfigurationError("SMTP_TIMEOUT must be a positive number of seconds")
    return {
        "email_backend": backend,
        "smtp_url": smtp_url,
        "email_from": sender,
        "smtp_timeout_s": timeout,
    }


def _time_zone(env: Mapping[str, str]) -> str:
    """:raise ConfigurationError: if CLINIC_TIMEZONE names no time zone."""
    clinic_timezone = env.get("CLINIC_TIMEZONE", "Europe/London")
    try:
        ZoneInfo(clinic_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"CLINIC_TIMEZONE {clinic_timezone!r} is not a time zone") from exc
    return clinic_timezone


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment.

    :raise ConfigurationError: if a value is malformed, or production lacks a secret.
    """
    env = os.environ if env is None else env
    environment = _one_of(env, "APP_ENV", "development", ENVIRONMENTS)
    instance_path = Path(env.get("INSTANCE_PATH", str(PROJECT_ROOT / "instance"))).resolve()
    sms_backend = _one_of(env, "SMS_BACKEND", "console", SMS_BACKENDS)
    twilio = _twilio(env, sms_backend)
    clinic_timezone = _time_zone(env)
    return Settings(
        environment=environment,
        instance_path=instance_path,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'clinic.db'}",
        sms_backend=sms_backend,
        twilio=twilio,
        **_email(env),
        clinic_timezone=clinic_timezone,
        secret_key=_secret_key(env, environment, instance_path),
        **_plain_values(env),
        twilio_error_actions=_error_actions(env.get("TWILIO_ERROR_ACTIONS", "")),
        hit6_meaningful_change=_int(env, "HIT6_MEANINGFUL_CHANGE", 5),
    )


def _error_actions(raw: str) -> tuple[tuple[int, str], ...]:
    """``21211=permanent,30007=content``: overrides of the Twilio error table."""
    actions = ("retry_later", "unknown", "permanent", "opted_out", "content")
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(","))):
        code, _, action = item.partition("=")
        if not code.strip().isdigit() or action.strip() not in actions:
            raise ConfigurationError(
                f"TWILIO_ERROR_ACTIONS: {item!r} is not CODE=ACTION with ACTION one of "
                + ", ".join(actions)
            )
        pairs.append((int(code), action.strip()))
    return tuple(pairs)
