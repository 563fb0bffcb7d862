"""How long steps say how far they are, without the core knowing who listens.

The core marks its long stages (``with stage(label, total) as advance: …``,
or ``tracked(items, label)``); by default nobody listens and a stage costs a
context variable's look-up. The command line installs a reporter (a progress
bar on stderr when it is a terminal, see cli/progress.py) for the command's
run; tests install one that records what it was told.

A label is text in the interface's language (``_()``), said when the stage
starts; ``total`` is the number of steps when known, None for a stage that
only says it is under way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar

T = TypeVar("T")


class Reporter(Protocol):
    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, steps: int) -> None: ...

    def finish(self) -> None: ...


_reporter: ContextVar[Reporter | None] = ContextVar("openmosprom_progress", default=None)


def _nothing(steps: int = 1) -> None:
    return None


def use(reporter: Reporter | None) -> None:
    """Report to ``reporter`` from now on in this context (None: to nobody)."""
    _reporter.set(reporter)


@contextmanager
def reporting(reporter: Reporter | None) -> Iterator[None]:
    """Report to ``reporter`` inside the block only."""
    token = _reporter.set(reporter)
    try:
        yield
    finally:
        _reporter.reset(token)


@contextmanager
def stage(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A long stage: yields ``advance(steps=1)``; the reporter is told when it starts and ends."""
    reporter = _reporter.get()
    if reporter is None:
        yield _nothing
        return
    def advance(steps: int = 1) -> None:
        assert reporter is not None
        reporter.advance(steps)

    reporter.start(label, total)
    try:
        yield advance
    finally:
        reporter.finish()


def tracked(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """``items`` one by one, each a step of the stage ``label`` (``total`` defaults to ``len(items)``)."""
    if _reporter.get() is None:
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with stage(label, total) as advance:
        for item in items:
            yield item
            advance(1)
