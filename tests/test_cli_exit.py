"""journal.cli.keep_until_exit: a `journal` process leaves large results to the OS when it
ends; anywhere else (tests, the web server) they are freed as usual."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import journal.cli as jcli


class _Big:
    pass


def test_outside_main_values_are_freed():
    value = _Big()
    ref = weakref.ref(value)
    jcli.keep_until_exit(value)
    del value
    gc.collect()
    assert ref() is None


def test_inside_main_values_are_kept_and_the_flag_is_reset(monkeypatch):
    kept = []

    def command(*args, **kwargs):
        value = _Big()
        jcli.keep_until_exit(value)
        kept.append(weakref.ref(value))

    monkeypatch.setattr(jcli.cli, "main", command)
    try:
        jcli.main([])
        gc.collect()
        assert kept[0]() is not None  # left for the process's end
        assert jcli._EXITING is False
    finally:
        gc.unfreeze()  # give this test process's objects back to the collector
    gc.collect()
    assert kept[0]() is None  # nothing but the freeze kept it


def test_a_process_ends_cleanly_with_kept_values():
    code = ("import journal.cli as c, sys\n"
            "def cmd(*a, **k):\n"
            "    c.keep_until_exit([object() for _ in range(1000)])\n"
            "    print('done')\n"
            "c.cli.main = cmd\n"
            "c.main([])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and out.stdout == "done\n" and out.stderr == ""
