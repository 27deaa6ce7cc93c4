"""#17: a bulk phase pauses the cycle collector and gives it back as it found it; only a
process that ends with its command (the CLI) freezes what a phase built."""
import gc

import pytest

from statsync import bulk


@pytest.fixture
def collector():
    was_enabled, was_freezing = gc.isenabled(), bulk._freeze_after
    yield
    bulk._freeze_after = was_freezing
    gc.unfreeze()
    gc.enable() if was_enabled else gc.disable()


def test_a_phase_pauses_collection_and_gives_it_back_even_when_it_fails(collector):
    gc.enable()
    seen = []

    @bulk.phase
    def load():
        seen.append(gc.isenabled())
        raise ValueError("bad file")

    with pytest.raises(ValueError):
        load()
    assert seen == [False] and gc.isenabled()


def test_a_nested_phase_leaves_the_pause_to_the_outer_one(collector):
    gc.enable()
    with bulk.building():
        with bulk.building():
            pass
        assert not gc.isenabled()  # the inner phase did not switch collection back on
    assert gc.isenabled()


def test_only_a_phase_inside_a_command_freezes_what_it_built(collector):
    gc.enable()
    bulk._freeze_after = False
    gc.unfreeze()
    with bulk.building():
        kept = [[index] for index in range(1000)]  # lists: always tracked
    assert gc.get_freeze_count() == 0  # a library caller keeps collecting all it holds
    with bulk.one_command():
        with bulk.building():
            kept += [[index] for index in range(1000)]
        assert gc.get_freeze_count() >= 1000
    gc.unfreeze()
    with bulk.building():  # after the command (a test that ran the CLI in-process): nothing frozen
        kept += [[index] for index in range(1000)]
    assert gc.get_freeze_count() == 0


async def _answer():
    return gc.isenabled()


def test_an_async_phase_pauses_collection_while_it_awaits(collector):
    import asyncio

    gc.enable()
    assert asyncio.run(bulk.phase(_answer)()) is False and gc.isenabled()
