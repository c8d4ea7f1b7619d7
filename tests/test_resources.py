"""Resources loaded once per process: borrowed per thread, and kept out of the collector's way."""

from __future__ import annotations

import gc
import threading

from pipeline import resources


def test_borrow_builds_once_per_key_and_lends_one_instance_per_thread():
    resources.clear()
    built = []

    def build():
        built.append(object())
        return built[-1]

    with resources.borrow(("test", 1), build) as first:
        with resources.borrow(("test", 1), build) as second:  # in use: a second one is built
            assert first is not second
    with resources.borrow(("test", 1), build) as again:
        assert again in (first, second)
    assert len(built) == 2
    resources.clear()


def test_a_built_instance_is_frozen_out_of_full_collections_until_clear():
    resources.clear()
    assert gc.get_freeze_count() == 0
    with resources.borrow(("test", 2), lambda: {"big": list(range(10))}):
        pass
    # Everything alive at build time (modules, the instance) is skipped by later collections.
    assert gc.get_freeze_count() > 0
    resources.clear()
    assert gc.get_freeze_count() == 0


def test_borrow_is_safe_across_threads():
    resources.clear()
    seen: list[object] = []
    lock = threading.Lock()

    def use():
        with resources.borrow(("test", 3), object) as item:
            with lock:
                assert item not in seen  # no two threads hold the same instance at once
                seen.append(item)
            with lock:
                seen.remove(item)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not seen
    resources.clear()
