"""A warm kernel starts from the environment it is given, not from its parent's as it later becomes."""

from __future__ import annotations

import os
from functools import partial

from cchc_tools.batch.pool import KernelPool
from cchc_tools.batch.runner import execute
from cchc_tools.paths import notebooks_dir
from tests.test_batch import _notebook, _task


def test_kernels_start_with_the_environment_passed_and_briefings_do_not_leak_into_it(tmp_path, monkeypatch):
    monkeypatch.delenv("CCHC_LATER", raising=False)
    first = _notebook(tmp_path / "first.ipynb", "tag = ''", """
        import os
        assert os.environ.get("CCHC_PASSED") == "yes", "the environment passed to the pool"
        assert "CCHC_LATER" not in os.environ, "the parent's environment as it became after the pool was made"
        os.environ["CCHC_PASSED"] = "changed by a briefing"
        os.environ["CCHC_ADDED"] = "1"
        """)
    second = _notebook(tmp_path / "second.ipynb", "tag = ''", """
        import os
        assert os.environ.get("CCHC_PASSED") == "yes" and "CCHC_ADDED" not in os.environ
        """)
    pool = KernelPool(1, partial(execute, timeout=120), notebooks_dir(), env={**os.environ, "CCHC_PASSED": "yes"})
    monkeypatch.setenv("CCHC_LATER", "1")  # the workers start now, with this in their own environment
    outcomes = pool.run([_task(first, tmp_path / "out"), _task(second, tmp_path / "out")])
    assert [o.ok for o in outcomes] == [True, True], [o.error for o in outcomes]
    assert "CCHC_PASSED" not in os.environ  # the pool's environment is a value: this process's is untouched
