"""Reading the environment: the helpers newsroom/settings.py reads every value through."""

import os
from dataclasses import fields


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def env_app_settings(defaults: type) -> dict[str, object]:
    """The app settings the environment sets, each parsed as its default's type."""
    values: dict[str, object] = {}
    for field in fields(defaults):
        default, raw = getattr(defaults, field.name), os.environ.get(field.name)
        # An empty value is a value only for text (SIGNUP_IP_LIMITS="" switches the step off).
        if raw is None or (raw == "" and not isinstance(default, str)):
            continue
        if isinstance(default, bool):
            values[field.name] = env_bool(field.name)
        elif isinstance(default, tuple):
            values[field.name] = tuple(env_list(field.name))
        else:
            values[field.name] = type(default)(raw)
    return values
