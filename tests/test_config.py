"""Settings keep their secrets: not in repr, not in a validation error, not in a log line."""

from __future__ import annotations

import logging

import pytest

from oms_tui.config import Settings, ShopConfig, load_settings
from oms_tui.errors import ConfigError

APP_SECRET = "AppSecret-c0nf1g-91"
SESSION = "Session-c0nf1g-17"
DB_PASSWORD = "DbPassw0rd-c0nf1g"


def shop_table(**changes: str) -> str:
    fields = {"name": '"tb-main"', "platform": '"taobao"', "base_url": '"http://127.0.0.1:8700"', "app_key": '"k1"',
              "app_secret": f'"{APP_SECRET}"', "session": f'"{SESSION}"', **changes}
    return "[[shops]]\n" + "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None) + "\n"


def assert_clean(text: str) -> None:
    for secret in (APP_SECRET, SESSION, DB_PASSWORD):
        assert secret not in text, f"{secret!r} leaked into: {text}"


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "oms.toml"
    monkeypatch.setenv("OMS_CONFIG", str(path))
    for name in ("OMS_DATABASE_URL", "OMS_SHOPS"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.mark.parametrize("changes, where", [
    ({"platform": '"ebay"'}, "shops.0.platform"),
    ({"app_key": None}, "shops.0.app_key"),  # missing: pydantic would quote the whole table
    ({"sync_minutes": "-1"}, "shops.0.sync_minutes"),
    ({"session": "12345"}, "shops.0.session"),  # the wrong type, in the secret itself
])
def test_bad_config_file_error_names_the_field_not_the_secret(config_file, changes, where):
    config_file.write_text(shop_table(**changes), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("bad configuration") and where in message
    assert_clean(message)
    assert "12345" not in message


def test_malformed_toml_error_holds_no_secret(config_file):
    config_file.write_text(shop_table() + f'database_url = "postgresql://oms:{DB_PASSWORD}@db/oms\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "bad configuration" in str(caught.value)
    assert_clean(str(caught.value))


def test_repr_str_dump_and_logs_show_no_secret(config_file, caplog):
    config_file.write_text(f'database_url = "postgresql://oms:{DB_PASSWORD}@db.internal:5432/oms"\n' + shop_table(),
                           encoding="utf-8")
    settings = load_settings()
    shop = settings.shops[0]
    assert shop.app_secret.get_secret_value() == APP_SECRET and shop.session.get_secret_value() == SESSION
    assert settings.database_url.endswith(f"oms:{DB_PASSWORD}@db.internal:5432/oms")  # readers get it whole
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("oms_tui.test").info("settings %s / %r / shop %s", settings, settings, shop)
    for text in (repr(settings), str(settings), repr(shop), str(shop), settings.model_dump_json(),
                 str(settings.model_dump()), caplog.text):
        assert_clean(text)
    assert "db.internal" in repr(settings)  # the URL is still there, minus its password
    assert shop.as_config()["app_secret"] == APP_SECRET  # only when writing a config file on purpose


def test_shop_secret_values_skip_an_empty_session():
    shop = ShopConfig(name="x", platform="jd", base_url="http://h", app_key="k", app_secret="s")
    assert shop.secret_values() == ("s",)
    assert Settings(shops=[shop]).shops[0].secret_values() == ("s",)
