"""Settings: one frozen object. Precedence: environment (`TOCSIN_*`) > TOML file > default.

The file is named by `TOCSIN_CONFIG` (or `--config`); see `docs/configuration.md` for every
option with an example.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url

from tocsin.errors import InvalidInput

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tocsin.db"
DEFAULT_PACKS = ("ua", "ru-border")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOCSIN_", frozen=True, extra="forbid")

    database_url: SecretStr = Field(
        SecretStr(DEFAULT_DATABASE_URL),
        description="SQLAlchemy URL: sqlite:///FILE (default tocsin.db in the working "
        "directory) or postgresql+asyncpg://USER:PASSWORD@HOST/DB",
    )
    host: str = Field("127.0.0.1", description="address `tocsin serve` listens on")
    port: int = Field(8000, ge=1, le=65535, description="port `tocsin serve` listens on")
    packs: tuple[str, ...] = Field(
        DEFAULT_PACKS, description="region packs loaded on first start when no regions exist"
    )
    languages: tuple[str, ...] = Field(("en", "uk", "ru"), description="languages served")
    expiry_interval: float = Field(
        1.0, gt=0, le=3600, description="seconds between checks for expired alerts"
    )
    stream_keepalive: float = Field(
        15.0, gt=0, le=300, description="seconds between keepalives on idle live streams"
    )
    stream_buffer: int = Field(
        1000,
        ge=10,
        le=100_000,
        description="events queued per stream subscriber before it is dropped as too slow",
    )
    stream_max_per_client: int = Field(
        100,
        ge=1,
        description="live streams (SSE and WebSocket) one client address may hold open at once "
        "(an IPv6 client is counted by its /64); more are refused with 429",
    )
    stream_max_total: int = Field(
        10_000,
        ge=1,
        description="live streams this server process holds open at once; more are refused "
        "with 503",
    )
    request_head_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="seconds `tocsin serve` gives a client to send a request's line and headers, "
        "from the moment it connects or starts the request; then it closes the connection",
    )
    log_poll_interval: float = Field(
        0.25,
        gt=0,
        le=60,
        description="seconds between checks for events committed by other processes",
    )
    approval_more_regions_than: int | None = Field(
        None,
        ge=0,
        description="two-person rule: actual alerts covering more regions than this wait for "
        "an approver (unset: no limit)",
    )
    approval_free_text: bool = Field(
        False,
        description="two-person rule: actual alerts with a headline or free text wait "
        "for an approver",
    )
    approval_always: bool = Field(
        False, description="two-person rule: every actual alert waits for an approver"
    )
    mqtt_url: SecretStr | None = Field(
        None,
        description="MQTT broker for sirens and region states, e.g. mqtt://127.0.0.1:1883 "
        "(mqtts:// for TLS, mqtt://USER:PASSWORD@HOST:PORT); unset: no MQTT",
    )
    mqtt_topic_prefix: str = Field(
        "tocsin/v1",
        min_length=1,
        max_length=100,
        description="first levels of every MQTT topic (no wildcards, no leading or trailing /)",
    )
    siren_ack_timeout: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="seconds a siren has to acknowledge a command before it is marked faulty",
    )
    siren_heartbeat_timeout: float = Field(
        90.0,
        gt=0,
        le=86400,
        description="seconds without a heartbeat before a siren is marked faulty",
    )
    channels: tuple[str, ...] = Field(
        ("subscriptions", "broadcast"),
        description="channels started with the server: built-in names (subscriptions: "
        "webhooks and apprise; broadcast: repeats; sirens: added by itself when mqtt_url is "
        "set) or 'module:Class'",
    )
    webhook_allow_private: bool = Field(
        False,
        description="let webhooks reach private, loopback, link-local and other non-public "
        "addresses (refused by default so outbound requests cannot reach internal services)",
    )
    webhook_timeout: float = Field(
        10.0, gt=0, le=300, description="seconds a webhook receiver has to answer, in all"
    )
    broadcast_repeat_minutes: dict[str, float] = Field(
        default_factory=lambda: {"missile": 5.0, "aviation": 5.0, "*": 10.0},
        description="minutes between repeats of an active alert's announcement to broadcast "
        "subscriptions, by threat id ('*': any other; 0: none); see docs/broadcast.md",
    )
    public_url: str = Field(
        "", description="the URL the public reaches this service at (links in feeds)"
    )
    cap_sender: str = Field(
        "",
        description="CAP sender: globally unique, no spaces or commas "
        "(default tocsin@<host of public_url>)",
    )
    cap_sender_name: str = Field("tocsin", description="CAP senderName and the Atom feed's author")
    cap_languages: tuple[str, ...] = Field(
        (), description="one CAP info per language, in this order (default: languages)"
    )
    cap_lifetime: float = Field(
        86400,
        gt=0,
        description="seconds a CAP message of an open alert without its own expiry stays in force",
    )
    cap_feed_retention: float = Field(
        3600, ge=0, description="seconds a closed alert stays in the CAP Atom feed"
    )
    cap_sign_key: str = Field(
        "", description="PEM private key file for XML-DSig signatures of CAP messages"
    )
    cap_sign_key_password: SecretStr | None = Field(
        None, description="password of cap_sign_key, if it is encrypted"
    )
    cap_sign_cert: str = Field("", description="PEM certificate file of cap_sign_key")
    threats: dict[str, Any] = Field(
        default_factory=dict,
        description="threat types to add or override, by id (see docs/threats.md)",
    )

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        try:
            make_url(value.get_secret_value())
        except Exception as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        return value

    @property
    def database(self) -> str:
        return self.database_url.get_secret_value()

    @property
    def database_display(self) -> str:
        """The database URL with any password masked."""
        return make_url(self.database).render_as_string(hide_password=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("TOCSIN_CONFIG")
        if not path:
            return {}
        return read_toml(Path(path))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"configuration file {path} does not exist", field="config") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"configuration file {path}: {exc}", field="config") from None
    section = data.get("tocsin", data)
    if not isinstance(section, dict):
        raise InvalidInput(f"configuration file {path}: [tocsin] must be a table", field="config")
    return section


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and file, with explicit values (e.g. CLI flags) on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise InvalidInput(f"setting {field}: {first['msg']}", field=field) from None
