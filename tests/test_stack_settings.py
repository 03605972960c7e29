"""Where things run: REDIS_URL parsing and port settings fail with messages that say what to fix."""

import pytest

from stack.settings import BadSetting, RedisAddress, StackSettings


def test_a_full_redis_url_is_split_for_rasa() -> None:
    address = RedisAddress.from_url("redis://:s3cret@cache.internal:6380/2")
    assert address.rasa_env() == {"REDIS_HOST": "cache.internal", "REDIS_PORT": "6380",
                                  "REDIS_DB": "2", "REDIS_PASSWORD": "s3cret"}
    assert address.url == "redis://:s3cret@cache.internal:6380/2"


def test_defaults_fill_a_short_redis_url() -> None:
    address = RedisAddress.from_url("redis://localhost")
    assert (address.port, address.db, address.password) == (6379, 0, "")


@pytest.mark.parametrize("url, complaint", [
    ("localhost:6379", "must look like redis://"),
    ("http://localhost:6379", "must look like redis://"),
    ("redis://localhost:6379/zero", "database must be a number"),
])
def test_bad_redis_urls_are_refused_clearly(url: str, complaint: str) -> None:
    with pytest.raises(BadSetting, match=complaint):
        RedisAddress.from_url(url)


def test_ports_come_from_the_environment() -> None:
    settings = StackSettings.from_env({"RASA_PORT": "6005", "WEB_PORT": "9090"})
    assert (settings.rasa_port, settings.web_port, settings.actions_port) == (6005, 9090, 5055)
    assert settings.redis_url is None


@pytest.mark.parametrize("value", ["abc", "0", "70000", ""])
def test_a_bad_port_names_the_variable(value: str) -> None:
    with pytest.raises(BadSetting, match=f"WEB_PORT must be a port number.*{value!r}"):
        StackSettings.from_env({"WEB_PORT": value})
