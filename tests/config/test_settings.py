"""Settings: one precedence, every option documented, secrets masked, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin import docs
from tocsin.config import Settings, load_settings
from tocsin.errors import InvalidInput

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(Settings.model_fields):
        monkeypatch.delenv(f"TOCSIN_{name.upper()}", raising=False)
    monkeypatch.delenv("TOCSIN_CONFIG", raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database == "sqlite+aiosqlite:///tocsin.db"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.packs == ("ua", "ru-border")


def test_precedence_flag_over_env_over_file_over_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "tocsin.toml"
    config.write_text('[tocsin]\nport = 7001\nhost = "0.0.0.0"\nstream_buffer = 50\n')
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    monkeypatch.setenv("TOCSIN_PORT", "7002")
    monkeypatch.setenv("TOCSIN_HOST", "10.0.0.1")
    settings = load_settings(host="127.0.0.2")
    assert settings.host == "127.0.0.2"  # flag
    assert settings.port == 7002  # environment over file
    assert settings.stream_buffer == 50  # file over default
    assert settings.expiry_interval == 1.0  # default


def test_file_without_section_and_with_threats(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "tocsin.toml"
    config.write_text('packs = ["ua"]\n[threats.uav]\nrank = 45\n')
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    settings = load_settings()
    assert settings.packs == ("ua",)
    assert settings.threats == {"uav": {"rank": 45}}


def test_lists_from_the_environment_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_PACKS", '["ru-border"]')
    assert load_settings().packs == ("ru-border",)


def test_password_is_masked() -> None:
    settings = load_settings(database_url="postgresql+asyncpg://tocsin:s3cret@db/tocsin")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)
    assert "s3cret" not in settings.database_display
    assert settings.database.endswith("tocsin:s3cret@db/tocsin")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"port": 0}, "port"),
        ({"port": "eighty"}, "port"),
        ({"stream_buffer": 1}, "stream_buffer"),
        ({"expiry_interval": -1}, "expiry_interval"),
        ({"database_url": "::not a url::"}, "database_url"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_values_name_the_setting(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_settings(**overrides)
    assert info.value.field == field
    assert field in info.value.message


def test_login_limits_and_password_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    limits = (
        settings.login_user_attempts,
        settings.login_address_attempts,
        settings.login_global_attempts,
    )
    assert limits == (5, 20, 100)
    assert (settings.login_window, settings.login_first_delay, settings.login_max_delay) == (
        3600,
        1.0,
        300.0,
    )
    assert (settings.password_workers, settings.password_queue) == (2, 8)
    monkeypatch.setenv("TOCSIN_LOGIN_USER_ATTEMPTS", "3")
    monkeypatch.setenv("TOCSIN_LOGIN_MAX_DELAY", "60")
    monkeypatch.setenv("TOCSIN_PASSWORD_WORKERS", "1")
    settings = load_settings(password_queue=0)
    assert settings.login_user_attempts == 3 and settings.login_max_delay == 60
    assert (settings.password_workers, settings.password_queue) == (1, 0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"login_user_attempts": 0}, "login_user_attempts", "greater than or equal to 1"),
        ({"login_window": 0}, "login_window", "greater than 0"),
        ({"password_workers": 0}, "password_workers", "greater than or equal to 1"),
        ({"password_queue": -1}, "password_queue", "greater than or equal to 0"),
        (
            {"login_first_delay": 10, "login_max_delay": 5},
            "settings",
            "login_max_delay must not be shorter than login_first_delay",
        ),
    ],
)
def test_bad_login_settings(overrides: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        load_settings(**overrides)
    assert info.value.field == field
    assert message in info.value.message


def test_stream_limits_and_the_head_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.stream_max_per_client, settings.stream_max_total) == (100, 10_000)
    assert settings.request_head_timeout == 10.0
    monkeypatch.setenv("TOCSIN_STREAM_MAX_PER_CLIENT", "3")
    monkeypatch.setenv("TOCSIN_STREAM_MAX_TOTAL", "50")
    monkeypatch.setenv("TOCSIN_REQUEST_HEAD_TIMEOUT", "2.5")
    settings = load_settings()
    assert (settings.stream_max_per_client, settings.stream_max_total) == (3, 50)
    assert settings.request_head_timeout == 2.5
    for bad in ({"stream_max_per_client": 0}, {"stream_max_total": 0}):
        with pytest.raises(InvalidInput, match=next(iter(bad))):
            load_settings(**bad)
    with pytest.raises(InvalidInput, match="request_head_timeout"):
        load_settings(request_head_timeout=0)


def test_bad_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("port = = 1\n")
    monkeypatch.setenv("TOCSIN_CONFIG", str(config))
    with pytest.raises(InvalidInput, match=r"broken\.toml"):
        load_settings()
    monkeypatch.setenv("TOCSIN_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InvalidInput, match="does not exist"):
        load_settings()


def test_every_option_is_documented_and_described() -> None:
    page = (REPO / "docs" / "configuration.md").read_text()
    for name, field in Settings.model_fields.items():
        assert f"`TOCSIN_{name.upper()}`" in page, name
        assert field.description, f"{name} has no description"


@pytest.mark.parametrize(
    ("page", "render"),
    [("configuration.md", docs.configuration), ("cli-reference.md", docs.cli_reference)],
)
def test_generated_pages_are_up_to_date(page: str, render: object) -> None:
    current = (REPO / "docs" / page).read_text()
    assert current == render(), f"docs/{page} is stale: run `python -m tocsin.docs`"  # type: ignore[operator]
