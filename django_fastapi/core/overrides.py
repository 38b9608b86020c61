"""``app.dependency_overrides`` for apps whose routes hold pinned callables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .pinning import original, pin


class OverridesProvider:
    """The ``dependency_overrides_provider`` of an app's routes.

    Routes hold pinned callables, so ``app.dependency_overrides[get_user] = fake`` must also
    match the pin of ``get_user``; and a sync ``fake`` is pinned in turn, to run on the lane.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def dependency_overrides(self) -> Mapping[Any, Any]:
        return _PinnedOverrides(self.app.dependency_overrides)


class _PinnedOverrides(Mapping):
    def __init__(self, overrides: Mapping[Any, Any]) -> None:
        self.overrides = overrides

    def __getitem__(self, call: Any) -> Any:
        for key in (call, original(call)):
            if key in self.overrides:
                return pin(self.overrides[key])
        raise KeyError(call)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.overrides)

    def __len__(self) -> int:
        return len(self.overrides)
