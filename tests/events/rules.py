from typing import Any


def allow_all(user: Any, channel: str) -> bool:
    return True
