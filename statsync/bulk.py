"""Building a large repository's values without the cycle collector walking them again
and again.

CPython runs a collection each time enough containers have been made since the last
one, and an older generation's pass walks every container that has survived so far: loading
10,000 objects (600,000 YAML values) paid for about 1.5 s of passes in a 4 s `validate`,
and a plan pays again for the live objects and the canonical forms. What is built in
these phases makes no reference cycles to collect (YAML trees, decoded JSON, canonical
forms), so collection waits until the phase is over. While a command runs in a process
that ends with it (the CLI says so: `with one_command():`), what the phase built is then
moved out of the collector's sight (`gc.freeze`): it lives until the command ends anyway,
and refcounting still frees whatever is dropped; without that, the passes after the phase
walk it again (about 1 s of the same `validate`). Outside a command (a library caller, a
test after it ran the CLI in-process) phases freeze nothing. Measured in benchmarks/run.py
(README).
"""
from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from typing import Any, Callable, Iterator


_freeze_after = False


@contextmanager
def one_command() -> Iterator[None]:
    """A command of a process that ends with it runs inside: what its phases build may be
    frozen. (Frozen objects stay frozen after; the process is about to end.)"""
    global _freeze_after
    before, _freeze_after = _freeze_after, True
    try:
        yield
    finally:
        _freeze_after = before


@contextmanager
def building() -> Iterator[None]:
    if not gc.isenabled():  # already inside a phase (or the caller manages collection)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if _freeze_after:
            gc.freeze()
        gc.enable()


def phase(function: Callable[..., Any]) -> Callable[..., Any]:
    """`building()` around a function (an async one: around its awaiting)."""
    import inspect

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def awaiting(*args, **kwargs):
            with building():
                return await function(*args, **kwargs)
        return awaiting

    @functools.wraps(function)
    def calling(*args, **kwargs):
        with building():
            return function(*args, **kwargs)
    return calling
