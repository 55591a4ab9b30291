"""Reading the environment: the helpers newsroom/settings.py reads every value through.

A value that doesn't read as its kind stops the start with ImproperlyConfigured naming the
variable and what it holds, never a bare traceback from int(); an operator's typo must not
become False or a default without a word.
"""

import os
from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {raw!r}"
        )
    return value in _TRUE


def _integer(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def _number(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def _items(name: str, raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _text(name: str, raw: str) -> str:
    return raw


def _given(name: str) -> str | None:
    """The variable's value, or None when unset or empty (an empty number is no number)."""
    return os.environ.get(name) or None


def env_bool(name: str, default: bool = False) -> bool:
    raw = _given(name)
    return default if raw is None else _flag(name, raw)


def env_int(name: str, default: int) -> int:
    raw = _given(name)
    return default if raw is None else _integer(name, raw)


def env_float(name: str, default: float) -> float:
    raw = _given(name)
    return default if raw is None else _number(name, raw)


def env_list(name: str, default: str = "") -> list[str]:
    return list(_items(name, os.environ.get(name, default)))


_KINDS: dict[str, Callable[[str, str], object]] = {
    "text": _text,
    "integers": _integer,
    "numbers": _number,
    "flags": _flag,
    "lists": _items,
}


def env_given(**names_by_kind: Iterable[str]) -> dict[str, object]:
    """Each named variable the environment sets, read as its kind (a keyword of _KINDS); the
    others are left out, so whoever reads the setting keeps its own default. An empty value is
    a value only for text (SIGNUP_IP_LIMITS="" switches the per-IP limit off)."""
    values: dict[str, object] = {}
    for kind, names in names_by_kind.items():
        read = _KINDS[kind]
        for name in names:
            raw = os.environ.get(name)
            if raw is not None and (raw != "" or kind == "text"):
                values[name] = read(name, raw)
    return values
