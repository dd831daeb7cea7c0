"""Typed settings, read once from the environment and `.env`.

Nothing else in the code base reads `os.environ`: the composition root builds a
`Settings` and hands the parts each component needs down as arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dialogs.shared.mail import SECURITY, SmtpSettings, valid_address
from dialogs.shared.web.colours import MIN_CONTRAST, WHITE, contrast, is_hex_colour

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/peerspace.db"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The Agents Playground's own user (currentUser in its built-in configuration, 0.2.28): the person
# `make run` chats as unless a .m365agentsplayground.yml says otherwise.
PLAYGROUND_USER_AAD_ID = "00000000-0000-0000-0000-0000000000020"
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "xxx", "todo", "<secret>"}


class SettingsError(RuntimeError):
    """Start-up refused because a setting is missing or invalid; the message names it."""


def _csv(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


CsvList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Everything configurable about one deployment of the bot."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # Bot Framework registration (names as in the Azure Bot resource).
    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID"))
    app_password: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD"), repr=False
    )
    app_type: str = Field(
        "MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFT_APP_TYPE")
    )
    app_tenant_id: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID")
    )
    # Test-only override of where bearer-token signing keys are fetched from.
    openid_metadata_url: str = Field("", validation_alias="PEERSPACE_OPENID_METADATA_URL")

    dev_mode: bool = Field(False, validation_alias="PEERSPACE_DEV")
    host: str = Field("127.0.0.1", validation_alias="PEERSPACE_HOST")
    port: int = Field(3978, ge=1, le=65535, validation_alias="PEERSPACE_PORT")
    public_base_url: str = Field("", validation_alias="PEERSPACE_PUBLIC_URL")

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    # PostgreSQL connections one process keeps; it may open as many again at a peak, so a replica
    # holds at most twice this: replicas x 2 x this must stay under the server's max_connections.
    db_pool_size: int = Field(10, ge=2, le=100, validation_alias="PEERSPACE_DB_POOL_SIZE")
    default_time_zone: str = Field("Europe/London", validation_alias="DEFAULT_TIME_ZONE")
    min_group_size: int = Field(5, validation_alias="MIN_GROUP_SIZE")

    admin_ids: CsvList = Field(default_factory=list, validation_alias="PEERSPACE_ADMIN_IDS")
    facilitator_ids: CsvList = Field(default_factory=list, validation_alias="PEERSPACE_FACILITATOR_IDS")
    # Shown in the welcome and "about" cards; set per organisation.
    support_contact_name: str = Field("your peer supervisor", validation_alias="SUPPORT_CONTACT_NAME")
    support_contact_email: str = Field("", validation_alias="SUPPORT_CONTACT_EMAIL")

    # Secret used to sign links and to key anonymous "already answered" hashes.
    signing_secret: str = Field("", validation_alias="PEERSPACE_SECRET", repr=False)

    content_dir: Path = Field(Path(__file__).resolve().parent.parent / "content",
                              validation_alias="PEERSPACE_CONTENT_DIR")
    # An organisation's own texts, cards and settings files, laid over content_dir's (same layout).
    content_overrides: Path | None = Field(None, validation_alias="PEERSPACE_CONTENT_OVERRIDES")
    max_body_bytes: int = Field(256 * 1024, ge=1024, validation_alias="PEERSPACE_MAX_BODY_BYTES")
    dispatch_interval_seconds: float = Field(5.0, gt=0, validation_alias="PEERSPACE_DISPATCH_INTERVAL")
    dispatch_batch_size: int = Field(200, ge=1, le=5000, validation_alias="PEERSPACE_DISPATCH_BATCH")
    # How long a claimed outbox row stays claimed unless renewed (every third of it, while in
    # flight): after a crash the rows are sent again within this plus one dispatch interval.
    dispatch_lease_seconds: float = Field(30.0, ge=1, le=600, validation_alias="PEERSPACE_DISPATCH_LEASE")
    scheduler_enabled: bool = Field(True, validation_alias="PEERSPACE_SCHEDULER")
    # How long a turn's redelivery claim outlives its process (kill -9) before a retry takes it
    # over; the running turn renews it. Teams retries an unanswered turn after about 15 s.
    redelivery_lease_seconds: float = Field(10.0, ge=0.5, le=60, validation_alias="PEERSPACE_REDELIVERY_LEASE")

    # Proactive rate limits, as Teams documents them.
    rate_per_conversation_per_second: float = Field(7.0, gt=0, validation_alias="RATE_CONVERSATION_PER_SECOND")
    rate_per_conversation_per_hour: float = Field(1800.0, gt=0, validation_alias="RATE_CONVERSATION_PER_HOUR")
    # The whole app's limit: replicas on one PostgreSQL database share it (scheduler/replicas.py).
    rate_global_per_second: float = Field(50.0, gt=0, validation_alias="RATE_GLOBAL_PER_SECOND")
    # Replicas on PostgreSQL: each writes a heartbeat this often and checks the scheduler's lead;
    # one not heard from for the timeout counts as gone (its share of the rate is taken over).
    heartbeat_seconds: float = Field(5.0, ge=0.1, le=60, validation_alias="PEERSPACE_HEARTBEAT_INTERVAL")
    replica_timeout_seconds: float = Field(20.0, ge=0.5, le=600, validation_alias="PEERSPACE_REPLICA_TIMEOUT")

    # Outgoing HTTP (replies, proactive sends, signing keys): bounded in time and in connections.
    http_connect_timeout: float = Field(5.0, gt=0, le=60, validation_alias="PEERSPACE_HTTP_CONNECT_TIMEOUT")
    http_read_timeout: float = Field(30.0, gt=0, le=300, validation_alias="PEERSPACE_HTTP_READ_TIMEOUT")
    http_max_connections: int = Field(64, ge=1, le=1000, validation_alias="PEERSPACE_HTTP_MAX_CONNECTIONS")

    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")

    # Optional email confirmations for web registrations; all unset: no email, nothing breaks.
    smtp_host: str = Field("", validation_alias="SMTP_HOST")
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_security: str = Field("starttls", validation_alias="SMTP_SECURITY")
    smtp_user: str = Field("", validation_alias="SMTP_USER")
    smtp_password: str = Field("", validation_alias="SMTP_PASSWORD", repr=False)
    smtp_from: str = Field("", validation_alias="SMTP_FROM")
    # The web pages for people outside the organisation's Teams (dialogs/shared/web).
    org_name: str = Field("PeerSpace", min_length=1, max_length=100, validation_alias="PEERSPACE_ORG_NAME")
    # NHS blue and NHS black by default; each must keep 4.5:1 contrast with white.
    brand_colour: str = Field("#005eb8", validation_alias="PEERSPACE_BRAND_COLOUR")
    text_colour: str = Field("#212b32", validation_alias="PEERSPACE_TEXT_COLOUR")
    web_posts_per_minute: int = Field(30, ge=1, le=100_000, validation_alias="PEERSPACE_WEB_POSTS_PER_MINUTE")
    web_max_form_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024, validation_alias="PEERSPACE_WEB_MAX_FORM_BYTES")
    # Set only behind a reverse proxy that writes it (Azure App Service, a load balancer): the
    # header holding the client's address, for the per-address rate limit.
    web_client_address_header: str = Field("", max_length=64, validation_alias="PEERSPACE_CLIENT_ADDRESS_HEADER")

    @field_validator("admin_ids", "facilitator_ids", mode="before")
    @classmethod
    def _split(cls, value: Any) -> list[str]:
        return _csv(value)

    @field_validator("content_overrides", mode="before")
    @classmethod
    def _overrides(cls, value: Any) -> Any:
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    @field_validator("default_time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("min_group_size")
    @classmethod
    def _group(cls, value: int) -> int:
        if value < 3:
            raise ValueError("must be at least 3 so that no one can be singled out")
        return value

    @field_validator("database_url")
    @classmethod
    def _db(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("brand_colour", "text_colour")
    @classmethod
    def _colour(cls, value: str) -> str:
        if not is_hex_colour(value):
            raise ValueError("a colour as #rrggbb")
        if contrast(value, WHITE) < MIN_CONTRAST:
            raise ValueError(f"contrast with white is {contrast(value, WHITE):.2f}:1; at least {MIN_CONTRAST}:1 is needed")
        return value.lower()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> "Settings":
        if not self.app_id and not self.dev_mode:
            raise ValueError(
                "MicrosoftAppId: empty; set it, or set PEERSPACE_DEV=1 for local development only"
            )
        if self.app_id and not self.app_password and self.app_type != "UserAssignedMSI":
            raise ValueError("MicrosoftAppPassword: required when MicrosoftAppId is set")
        if self.app_type not in {"MultiTenant", "SingleTenant", "UserAssignedMSI"}:
            raise ValueError("MicrosoftAppType: one of MultiTenant, SingleTenant, UserAssignedMSI")
        if self.app_type == "SingleTenant" and not self.app_tenant_id:
            raise ValueError("MicrosoftAppTenantId: required for a SingleTenant app")
        if self.app_password.lower() in _PLACEHOLDERS:
            raise ValueError("MicrosoftAppPassword: a placeholder, not a real secret")
        if self.signing_secret:
            if self.signing_secret.lower() in _PLACEHOLDERS or len(self.signing_secret) < 32:
                raise ValueError("PEERSPACE_SECRET: use at least 32 random characters")
        elif not self.dev_mode:
            raise ValueError("PEERSPACE_SECRET: required outside development mode")
        self._check_smtp()
        if self.replica_timeout_seconds <= 2 * self.heartbeat_seconds:
            raise ValueError("PEERSPACE_REPLICA_TIMEOUT: must be more than twice PEERSPACE_HEARTBEAT_INTERVAL")
        if self.dev_mode and self.host not in LOOPBACK_HOSTS:
            # Development mode accepts unauthenticated requests: never expose it.
            self.host = "127.0.0.1"
        return self

    def _check_smtp(self) -> None:
        if not self.smtp_host:
            if self.smtp_from or self.smtp_user:
                raise ValueError("SMTP_HOST: required when SMTP_FROM or SMTP_USER is set")
            return
        if self.smtp_security not in SECURITY:
            raise ValueError(f"SMTP_SECURITY: one of {', '.join(SECURITY)}")
        if not valid_address(self.smtp_from):
            raise ValueError("SMTP_FROM: one plain address such as peerspace@trust.nhs.uk")
        if bool(self.smtp_user) != bool(self.smtp_password):
            raise ValueError("SMTP_USER and SMTP_PASSWORD: set both or neither")
        if self.smtp_security == "none" and self.smtp_host not in LOOPBACK_HOSTS:
            # A password or someone's address in clear text over the network: only to a local relay.
            raise ValueError("SMTP_SECURITY: none is allowed only for a relay on this machine (127.0.0.1)")

    def smtp(self) -> SmtpSettings | None:
        """The SMTP settings, or None when email is not configured."""
        if not self.smtp_host:
            return None
        return SmtpSettings(self.smtp_host, self.smtp_port, self.smtp_security, self.smtp_from,
                            self.smtp_user, self.smtp_password)

    @property
    def local_dev(self) -> bool:
        """Development mode as `make run` uses it: no app id (so no authentication) and loopback
        only. Only then is the Playground's user given roles and sample data offered."""
        return self.dev_mode and not self.app_id and self.host in LOOPBACK_HOSTS

    def role_ids(self) -> tuple[list[str], list[str]]:
        """(administrator ids, facilitator ids): the configured ones, plus, in local development,
        the Playground's user, so every feature can be tried without editing the database.
        Nothing is lost by it: without authentication any local caller can claim any id anyway."""
        extra = [PLAYGROUND_USER_AAD_ID] if self.local_dev else []
        return [*self.admin_ids, *extra], [*self.facilitator_ids, *extra]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_time_zone)

    @property
    def base_url(self) -> str:
        """Where people's browsers reach the bot (signed links); loopback in development."""
        return self.public_base_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def secret_bytes(self) -> bytes:
        # Development mode gets a fixed, visibly unsafe key so local links keep working across restarts.
        return (self.signing_secret or "peerspace-development-only-not-secret").encode()


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment (and overrides), naming the bad setting on failure."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ())) or "settings"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        raise SettingsError("Invalid settings: " + "; ".join(problems)) from None
