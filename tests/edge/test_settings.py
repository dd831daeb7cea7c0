"""bot/config.py: defaults, the rules that refuse a bad deployment (naming the setting), and the
command line refusing to start with invalid settings.

Settings are read from environment variables here (as in production). Every test starts from an
environment scrubbed of all PeerSpace settings and passes `_env_file=None`, so a developer's own
environment or `.env` cannot change the outcome.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import AliasChoices

from bot.config import DEFAULT_DATABASE_URL, Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
APP_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
SECRET = "k" * 40


def _setting_names() -> set[str]:
    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        names.add(name)
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        elif alias:
            names.add(str(alias))
    return {n.lower() for n in names}


SETTING_NAMES = _setting_names()


def _scrubbed(environ: dict[str, str]) -> dict[str, str]:
    # pydantic-settings matches environment names case-insensitively.
    return {k: v for k, v in environ.items() if k.lower() not in SETTING_NAMES}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.lower() in SETTING_NAMES:
            monkeypatch.delenv(key)


def settings_from_env(**env: str) -> Settings:
    mp = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            mp.setenv(key, value)
        return load_settings(_env_file=None)
    finally:
        mp.undo()


def refused(**env: str) -> str:
    with pytest.raises(SettingsError) as info:
        settings_from_env(**env)
    return str(info.value)


PRODUCTION = {"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "p" * 40, "PEERSPACE_SECRET": SECRET}


# --- defaults -----------------------------------------------------------------------------------


def test_defaults_in_development_mode():
    s = settings_from_env(PEERSPACE_DEV="1")
    assert s.dev_mode is True
    assert s.app_id == "" and s.app_password == "" and s.app_type == "MultiTenant" and s.app_tenant_id == ""
    assert s.openid_metadata_url == ""
    assert (s.host, s.port, s.public_base_url) == ("127.0.0.1", 3978, "")
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.default_time_zone == "Europe/London" and s.zone == ZoneInfo("Europe/London")
    assert s.min_group_size == 5
    assert s.admin_ids == [] and s.facilitator_ids == []
    assert s.support_contact_name == "your peer supervisor" and s.support_contact_email == ""
    assert s.signing_secret == ""
    assert s.secret_bytes == b"peerspace-development-only-not-secret"
    assert s.content_dir == REPO / "content" and (s.content_dir / "messages.yaml").is_file()
    assert s.max_body_bytes == 256 * 1024
    assert (s.dispatch_interval_seconds, s.dispatch_batch_size, s.scheduler_enabled) == (5.0, 200, True)
    assert (s.rate_per_conversation_per_second, s.rate_per_conversation_per_hour, s.rate_global_per_second) == (
        7.0, 1800.0, 50.0)
    assert s.log_level == "INFO"


def test_production_settings_are_accepted():
    s = settings_from_env(**PRODUCTION)
    assert s.dev_mode is False
    assert s.app_id == APP_ID
    assert s.secret_bytes == SECRET.encode()


def test_secrets_are_not_in_the_repr():
    s = settings_from_env(**PRODUCTION)
    assert "p" * 40 not in repr(s) and SECRET not in repr(s)


def test_settings_come_from_environment_variables():
    s = settings_from_env(
        PEERSPACE_DEV="true", PEERSPACE_PORT="4000", DATABASE_URL="postgresql+asyncpg://u@db/peerspace",
        DEFAULT_TIME_ZONE="America/New_York", MIN_GROUP_SIZE="7", SUPPORT_CONTACT_NAME="Sam",
        PEERSPACE_MAX_BODY_BYTES="4096", PEERSPACE_SCHEDULER="0", LOG_LEVEL="debug",
        MICROSOFT_APP_TYPE="SingleTenant", MICROSOFT_APP_TENANT_ID="tenant-1",
    )
    assert s.port == 4000
    assert s.database_url == "postgresql+asyncpg://u@db/peerspace"
    assert s.default_time_zone == "America/New_York"
    assert s.min_group_size == 7
    assert s.support_contact_name == "Sam"
    assert s.max_body_bytes == 4096
    assert s.scheduler_enabled is False
    assert s.log_level == "DEBUG"
    assert (s.app_type, s.app_tenant_id) == ("SingleTenant", "tenant-1")


def test_azure_and_upper_case_names_for_the_app_registration():
    azure = settings_from_env(MicrosoftAppId=APP_ID, MicrosoftAppPassword="p" * 40, PEERSPACE_SECRET=SECRET)
    upper = settings_from_env(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="p" * 40, PEERSPACE_SECRET=SECRET)
    assert azure.app_id == upper.app_id == APP_ID
    assert azure.app_password == upper.app_password == "p" * 40


def test_env_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("PEERSPACE_DEV=1\nMIN_GROUP_SIZE=9\nSUPPORT_CONTACT_NAME=From file\n")
    monkeypatch.setenv("SUPPORT_CONTACT_NAME", "From environment")
    s = load_settings(_env_file=env_file)
    assert s.dev_mode and s.min_group_size == 9
    assert s.support_contact_name == "From environment"


def test_env_file_none_ignores_a_dotenv_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("PEERSPACE_DEV=1\nMIN_GROUP_SIZE=9\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().min_group_size == 9  # the default env_file is ./.env
    with pytest.raises(SettingsError, match="MicrosoftAppId"):
        load_settings(_env_file=None)


# --- rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["2", "0", "-5"])
def test_min_group_size_below_three_is_refused_naming_the_setting(size):
    message = refused(PEERSPACE_DEV="1", MIN_GROUP_SIZE=size)
    assert "MIN_GROUP_SIZE" in message
    assert "at least 3" in message


def test_min_group_size_of_three_is_allowed():
    assert settings_from_env(PEERSPACE_DEV="1", MIN_GROUP_SIZE="3").min_group_size == 3


def test_min_group_size_must_be_a_number():
    assert "MIN_GROUP_SIZE" in refused(PEERSPACE_DEV="1", MIN_GROUP_SIZE="five")


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/londonn", "", "../../etc/passwd", "UTC+25"])
def test_invalid_time_zone_is_refused_naming_default_time_zone(zone):
    message = refused(PEERSPACE_DEV="1", DEFAULT_TIME_ZONE=zone)
    assert "DEFAULT_TIME_ZONE" in message


def test_empty_app_id_outside_development_is_refused_naming_microsoft_app_id():
    message = refused(MicrosoftAppPassword="p" * 40, PEERSPACE_SECRET=SECRET)
    assert "MicrosoftAppId" in message
    assert "PEERSPACE_DEV" in message  # says how to run locally instead


def test_development_mode_off_is_the_same_as_unset():
    assert "MicrosoftAppId" in refused(PEERSPACE_DEV="0")


def test_app_id_needs_a_password():
    assert "MicrosoftAppPassword" in refused(MicrosoftAppId=APP_ID, PEERSPACE_SECRET=SECRET)


@pytest.mark.parametrize("placeholder", ["changeme", "CHANGEME", "secret", "password", "xxx", "todo", "<secret>",
                                         "change-me"])
def test_placeholder_password_is_refused(placeholder):
    message = refused(**{**PRODUCTION, "MicrosoftAppPassword": placeholder})
    assert "MicrosoftAppPassword" in message and "placeholder" in message


def test_unknown_app_type_is_refused():
    assert "MicrosoftAppType" in refused(**PRODUCTION, MicrosoftAppType="AnyTenant")


def test_single_tenant_needs_a_tenant_id():
    message = refused(**PRODUCTION, MicrosoftAppType="SingleTenant")
    assert "MicrosoftAppTenantId" in message
    s = settings_from_env(**PRODUCTION, MicrosoftAppType="SingleTenant", MicrosoftAppTenantId="tenant-1")
    assert s.app_tenant_id == "tenant-1"


def test_managed_identity_needs_no_password():
    s = settings_from_env(MicrosoftAppId=APP_ID, MicrosoftAppType="UserAssignedMSI", PEERSPACE_SECRET=SECRET)
    assert s.app_type == "UserAssignedMSI" and s.app_password == ""


def test_secret_is_required_outside_development_mode():
    message = refused(MicrosoftAppId=APP_ID, MicrosoftAppPassword="p" * 40)
    assert "PEERSPACE_SECRET" in message and "required" in message


@pytest.mark.parametrize("secret", ["s" * 31, "short", "changeme", "password"])
def test_secret_shorter_than_32_characters_is_refused(secret):
    message = refused(**{**PRODUCTION, "PEERSPACE_SECRET": secret})
    assert "PEERSPACE_SECRET" in message and "32" in message


def test_secret_of_32_characters_is_accepted():
    assert settings_from_env(**{**PRODUCTION, "PEERSPACE_SECRET": "s" * 32}).signing_secret == "s" * 32


def test_a_short_secret_is_refused_in_development_mode_too():
    assert "PEERSPACE_SECRET" in refused(PEERSPACE_DEV="1", PEERSPACE_SECRET="short")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_development_mode_forces_host_to_loopback(host):
    assert settings_from_env(PEERSPACE_DEV="1", PEERSPACE_HOST=host).host == "127.0.0.1"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_development_mode_keeps_a_loopback_host(host):
    assert settings_from_env(PEERSPACE_DEV="1", PEERSPACE_HOST=host).host == host


def test_production_may_listen_on_all_interfaces():
    assert settings_from_env(**PRODUCTION, PEERSPACE_HOST="0.0.0.0").host == "0.0.0.0"


@pytest.mark.parametrize("raw, expected", [
    ("aad-1,aad-2", ["aad-1", "aad-2"]),
    (" aad-1 , aad-2 ,, ,aad-3 ", ["aad-1", "aad-2", "aad-3"]),
    ("aad-1", ["aad-1"]),
    ("", []),
    (" , ", []),
])
def test_comma_separated_admin_and_facilitator_ids(raw, expected):
    s = settings_from_env(PEERSPACE_DEV="1", PEERSPACE_ADMIN_IDS=raw, PEERSPACE_FACILITATOR_IDS=raw)
    assert s.admin_ids == expected
    assert s.facilitator_ids == expected


def test_ids_given_as_a_list_in_code():
    s = load_settings(_env_file=None, dev_mode=True, admin_ids=[" a ", "", "b"])
    assert s.admin_ids == ["a", "b"]


@pytest.mark.parametrize("url", ["sqlite:///x.db", "postgresql://u@h/db", "mysql+aiomysql://u@h/db", "x"])
def test_database_url_must_use_an_async_driver(url):
    message = refused(PEERSPACE_DEV="1", DATABASE_URL=url)
    assert "DATABASE_URL" in message


@pytest.mark.parametrize("env, name", [
    ({"PEERSPACE_PORT": "0"}, "PEERSPACE_PORT"),
    ({"PEERSPACE_PORT": "70000"}, "PEERSPACE_PORT"),
    ({"PEERSPACE_MAX_BODY_BYTES": "100"}, "PEERSPACE_MAX_BODY_BYTES"),
    ({"PEERSPACE_DISPATCH_INTERVAL": "0"}, "PEERSPACE_DISPATCH_INTERVAL"),
    ({"PEERSPACE_DISPATCH_BATCH": "0"}, "PEERSPACE_DISPATCH_BATCH"),
    ({"RATE_CONVERSATION_PER_SECOND": "-1"}, "RATE_CONVERSATION_PER_SECOND"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"PEERSPACE_DEV": "maybe"}, "PEERSPACE_DEV"),
])
def test_out_of_range_values_are_refused_naming_the_setting(env, name):
    assert name in refused(**{"PEERSPACE_DEV": "1", **env})


def test_every_problem_is_reported_at_once():
    message = refused(PEERSPACE_DEV="1", MIN_GROUP_SIZE="1", DEFAULT_TIME_ZONE="Nowhere/Land")
    assert "MIN_GROUP_SIZE" in message and "DEFAULT_TIME_ZONE" in message


def test_secrets_are_not_echoed_in_errors():
    message = refused(MicrosoftAppId=APP_ID, MicrosoftAppPassword="p" * 40, PEERSPACE_SECRET="tooShortSecret1")
    assert "tooShortSecret1" not in message and "p" * 40 not in message


# --- the command line -------------------------------------------------------------------------


def _cli_env(**extra: str) -> dict[str, str]:
    env = _scrubbed(dict(os.environ))
    if (REPO / ".env").exists():
        # Neutralise a developer's .env (environment variables take precedence over it).
        env.update({"PEERSPACE_DEV": "0", "MicrosoftAppId": ""})
    env.update(extra)
    return env


def _run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=_cli_env(**env),
                          capture_output=True, text=True, timeout=120)


def test_serve_with_invalid_settings_exits_non_zero_naming_the_setting():
    result = _run_cli("serve")
    assert result.returncode != 0
    assert "MicrosoftAppId" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_an_invalid_value_names_it():
    result = _run_cli("serve", PEERSPACE_DEV="1", MIN_GROUP_SIZE="2")
    assert result.returncode != 0
    assert "MIN_GROUP_SIZE" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands():
    result = _run_cli("--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "db", "package"):
        assert command in result.stdout


def test_content_overrides_folder_comes_from_the_environment(tmp_path):
    assert settings_from_env(PEERSPACE_DEV="1").content_overrides is None
    assert settings_from_env(PEERSPACE_DEV="1", PEERSPACE_CONTENT_OVERRIDES="").content_overrides is None
    chosen = settings_from_env(PEERSPACE_DEV="1", PEERSPACE_CONTENT_OVERRIDES=str(tmp_path))
    assert chosen.content_overrides == tmp_path
