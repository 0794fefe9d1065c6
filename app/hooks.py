"""Questions a lower room asks the room above it that knows the answer.

Rooms depend one way (docs/architecture.md): a lower room never imports a higher one. When
it needs a fact only a higher room has (learning: has this learner passed the module's
quiz?), it declares a Hook in its own `hooks.py`, and the higher room provides the function
when it is imported (create_app imports every room). Asking a hook nothing provides is a
wiring bug and fails loudly, never a silent default. Events that travel upwards are blinker
signals instead; this is for questions that need an answer.
"""
from __future__ import annotations

from collections.abc import Callable


class Hook:
    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.__doc__ = doc
        self._function: Callable | None = None

    def provide(self, function: Callable) -> Callable:
        """Decorator: `function` answers this hook (one provider per hook)."""
        if self._function is not None and self._function is not function:
            raise RuntimeError(f"{self.name} is already provided by {self._function!r}")
        self._function = function
        return function

    def __call__(self, *args, **kwargs):
        if self._function is None:
            raise RuntimeError(f"nothing provides {self.name}: is its room imported?")
        return self._function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}>"
