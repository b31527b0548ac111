"""Settings: one frozen object. Precedence: environment (`TOCSIN_*`) > TOML file > default.

The file is named by `TOCSIN_CONFIG` (or `--config`); see `docs/configuration.md` for every
option with an example.
"""

from __future__ import annotations

import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

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
    incident_publish_delay: int = Field(
        21_600,
        ge=0,
        le=30 * 86_400,
        description="seconds after an actual incident's start before an officer may publish it "
        "(until then only signed-in callers see it): strike locations made public at once "
        "help the attacker correct the next strike; 0 lets it be published at once",
    )
    expiry_interval: float = Field(
        1.0, gt=0, le=3600, description="seconds between checks for expired alerts"
    )
    stream_keepalive: float = Field(
        15.0, gt=0, le=300, description="seconds between keepalives on idle live streams"
    )
    stream_direct_writes: bool = Field(
        True,
        description="write live streams' frames straight to the socket under uvicorn's "
        "HTTP/1.1 server (httptools), one chunk built once for every client; off: every frame "
        "through the ASGI send",
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
    read_cache_keys: int = Field(
        4096,
        ge=1,
        le=1_000_000,
        description="public answers (active alerts, region states, the IoT line, CAP) held in "
        "memory, one per filter and language; the least recently used goes first",
    )
    access_log: bool = Field(
        False,
        description="log every request `tocsin serve` answers (written by a thread of its own, "
        "off the event loop)",
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
        ("subscriptions", "broadcast", "push"),
        description="channels started with the server: built-in names (subscriptions: "
        "webhooks and apprise; broadcast: repeats; push: Web Push to residents; sirens: added "
        "by itself when mqtt_url is set) or 'module:Class'",
    )
    webhook_allow_private: bool = Field(
        False,
        description="let webhooks and apprise subscriptions reach private, loopback, link-local "
        "and other non-public addresses (refused by default so outbound requests cannot reach "
        "internal services)",
    )
    push_vapid_key: SecretStr | None = Field(
        None,
        description="the VAPID private key of Web Push (PEM, or base64url of the raw P-256 "
        "key); when unset it is read from push_vapid_key_file, made there at first start",
    )
    push_vapid_key_file: str = Field(
        "",
        description="file holding the VAPID private key, made there if missing (default: the "
        "key is kept in the database, made by the first node to start)",
    )
    push_contact: str = Field(
        "mailto:admin@localhost",
        description="the VAPID 'sub' claim: a mailto: or https: contact push services may use",
    )
    push_subscribe_per_minute: int = Field(
        10,
        ge=1,
        le=10000,
        description="Web Push subscribe/unsubscribe requests per client address per minute",
    )
    compat_auth: str = Field(
        "open",
        pattern="^(open|token)$",
        description="the alerts.in.ua and ukrainealarm APIs under /compat (docs/compat.md): "
        "'open' answers anyone (a token sent is accepted and not checked); 'token' asks for "
        "a tocsin API token of any role, sent as those clients send theirs (then only writer "
        "nodes serve them: an edge holds no tokens)",
    )
    compat_per_minute: int = Field(
        120,
        ge=0,
        le=1_000_000,
        description="requests to the /compat APIs one client (its token, else its address) may "
        "make a minute, as the original services limit theirs; more are refused with 429; "
        "0: no limit",
    )
    push_max_regions: int = Field(
        20, ge=1, le=500, description="regions one Web Push subscription may name"
    )
    webhook_timeout: float = Field(
        10.0, gt=0, le=300, description="seconds a webhook receiver has to answer, in all"
    )
    broadcast_repeat_minutes: dict[str, float] = Field(
        default_factory=lambda: {"missile": 5.0, "aviation": 5.0, "*": 10.0},
        description="minutes between repeats of an active alert's announcement to broadcast "
        "subscriptions, by threat id ('*': any other; 0: none); see docs/broadcast.md",
    )
    speech_voices: dict[str, str] = Field(
        default_factory=lambda: {"en": "en-us", "uk": "uk", "ru": "ru"},
        description="espeak-ng voice by language for spoken announcements (`espeak-ng "
        "--voices` lists them); see docs/broadcast.md",
    )
    radio_interval_seconds: int = Field(
        0,
        ge=0,
        le=3600,
        description="seconds between the pips of the radio feed's interval signal between "
        "alerts (0: silence); see docs/broadcast.md",
    )
    public_url: str = Field(
        "", description="the URL the public reaches this service at (links in feeds)"
    )
    cors_origins: str = Field(
        "*",
        description="origins whose pages may read the public reads and streams (CORS), "
        "comma-separated: '*' any (the default), empty none; writes never; see docs/web.md",
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
    audit_key: SecretStr | None = Field(
        None,
        description="secret that keys the audit trail's hash chain (HMAC-SHA256); every node "
        "of a deployment needs the same one",
    )
    audit_key_file: str = Field(
        "",
        description="file holding the audit key (used when audit_key is unset; default for a "
        "SQLite database: FILE.audit-key beside it, made on first start)",
    )
    audit_checkpoint_interval: float = Field(
        60.0,
        gt=0,
        le=86400,
        description="seconds between checkpoints of the audit trail's head in the event log",
    )
    login_user_attempts: int = Field(
        5,
        ge=1,
        le=10_000,
        description="console logins tried for one username before each further one must "
        "wait (see docs/security.md)",
    )
    login_address_attempts: int = Field(
        20,
        ge=1,
        le=100_000,
        description="console logins tried from one client address (an IPv6 /64) before each "
        "further one must wait",
    )
    login_global_attempts: int = Field(
        100,
        ge=1,
        le=1_000_000,
        description="console logins tried in all, from anywhere, before each further one must wait",
    )
    login_window: float = Field(
        3600,
        gt=0,
        le=30 * 86400,
        description="seconds in which each login limit forgets as many attempts as it allows, "
        "steadily; a good password forgets its username's at once",
    )
    login_first_delay: float = Field(
        1.0,
        gt=0,
        le=86400,
        description="seconds the first login past a limit must wait; each one after it waits "
        "twice as long",
    )
    login_max_delay: float = Field(
        300.0,
        gt=0,
        le=86400,
        description="the longest any login must wait, however many were tried before it",
    )
    node_name: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="this process's name among the nodes sharing the database (default: host, "
        "process id and a random suffix)",
    )
    lease_seconds: float = Field(
        3.0,
        ge=0.3,
        le=300,
        description="how long a node holds a duty that runs once (delivery channels, expiry, "
        "the audit checkpoint, the relay to NATS) without renewing it; when it dies, another "
        "takes over within this and a third of it",
    )
    nats_url: SecretStr | None = Field(
        None,
        description="NATS server(s) with JetStream, e.g. nats://127.0.0.1:4222 (several, "
        "comma-separated, for a NATS cluster); set, it turns cluster mode on: committed events "
        "are relayed to a stream and every node's live streams and deliveries read from it; "
        "unset: one database, read in-process (see docs/cluster.md)",
    )
    cluster: str = Field(
        "tocsin",
        description="the name of this deployment in NATS: it prefixes every stream, consumer, "
        "bucket and subject, so deployments (or test runs) sharing NATS servers never meet; "
        "letters, digits, - and _",
    )
    nats_replicas: int = Field(
        1,
        ge=1,
        le=5,
        description="copies JetStream keeps of the event stream (3 on a NATS cluster of three)",
    )
    nats_stream_max_age: float = Field(
        7 * 86400,
        gt=0,
        description="seconds the event stream keeps an event; a node asked for an older one "
        "(a client resuming from long ago, a delivery far behind) reads it from the database",
    )
    snapshot_interval: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="in a cluster, how often (seconds, while the log moves) one writer puts the "
        "public state in the snapshot bucket that edge nodes start from",
    )
    reports_warm: bool = Field(
        True,
        description="build the lexicons for reading reports when the server starts (about 4 s "
        "of CPU and 150 MB, once per process), so the first report is read as fast as the "
        "next; when off, the first report read pays for it",
    )
    drill_streams_interval: float = Field(
        10.0,
        gt=0,
        le=600,
        description="during a drill, how often (seconds) each node writes its count of live "
        "streams (a server node to the database, an edge node to NATS), and, in a cluster, how "
        "often one writer copies the edge nodes' counts into the database",
    )
    writer_url: str | None = Field(
        None,
        description="on an edge node (tocsin serve --edge), where writes go: named in the "
        "answer to every write it refuses (e.g. https://ops.example.org)",
    )
    edge_start_timeout: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="how long an edge node waits at start for a snapshot to appear in the "
        "bucket (no writer has put one yet) before it gives up",
    )
    password_workers: int = Field(
        2,
        ge=1,
        le=64,
        description="threads that check passwords (argon2id, about 0.2 s of CPU each), apart "
        "from the event loop",
    )
    password_queue: int = Field(
        8,
        ge=0,
        le=10_000,
        description="password checks that may wait for a free thread; one more is refused at "
        "once (503) instead of piling up",
    )
    threats: dict[str, Any] = Field(
        default_factory=dict,
        description="threat types to add or override, by id (see docs/threats.md)",
    )

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: SecretStr) -> SecretStr:
        _check_url(value.get_secret_value())
        return value

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, value: str) -> str:
        if _CLUSTER.fullmatch(value) is None:
            raise ValueError(
                "a cluster name is 1 to 32 letters, digits, - or _ (it names NATS streams, "
                "consumers and subjects, where . * > and spaces are not allowed)"
            )
        return value

    @model_validator(mode="after")
    def _delays(self) -> Settings:
        if self.login_max_delay < self.login_first_delay:
            raise ValueError("login_max_delay must not be shorter than login_first_delay")
        return self

    @property
    def database(self) -> str:
        return self.database_url.get_secret_value()

    def audit_key_path(self) -> Path | None:
        """Where the audit key is read from: `audit_key_file`, or beside a SQLite file."""
        if self.audit_key_file:
            return Path(self.audit_key_file)
        database = sqlite_file(self.database)
        return None if database is None else Path(f"{database}.audit-key")

    @property
    def nats_servers(self) -> list[str]:
        """The NATS servers of `nats_url` (empty when cluster mode is off)."""
        if self.nats_url is None:
            return []
        return [url.strip() for url in self.nats_url.get_secret_value().split(",") if url.strip()]

    @property
    def database_display(self) -> str:
        """The database URL with any password masked."""
        return _masked(self.database)

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


_CLUSTER = re.compile(r"[A-Za-z0-9_-]{1,32}")
_URL = re.compile(r"^(?P<backend>[A-Za-z][A-Za-z0-9_]*)(\+[A-Za-z0-9_]+)?://(?P<rest>.*)$", re.S)


def _check_url(url: str) -> None:
    """Refuse what is not a database URL (`backend[+driver]://…`)."""
    if _URL.match(url) is None:
        raise ValueError(
            "not a database URL: expected backend[+driver]://…, e.g. sqlite:///tocsin.db"
        )


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite URL (`sqlite:///relative.db`, `sqlite:////absolute.db`)."""
    found = _URL.match(url)
    if found is None or found["backend"] != "sqlite":
        return None
    path = found["rest"].partition("?")[0]
    if not path.startswith("/"):
        return None
    path = path[1:]
    return None if path in ("", ":memory:") else path


def _masked(url: str) -> str:
    """The URL with any password masked."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = _config_file.get() or os.environ.get("TOCSIN_CONFIG")
        if not path:
            return {}
        return read_toml(Path(path))


_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)


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


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment and file, with explicit values (e.g. CLI flags) on top.

    `config` names the TOML file instead of `TOCSIN_CONFIG`.
    """
    token = _config_file.set(config)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise InvalidInput(f"setting {field}: {first['msg']}", field=field) from None
    finally:
        _config_file.reset(token)
