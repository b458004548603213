"""Inside a warm kernel: the state a fresh kernel starts with, kept once and restored before each briefing.

The runner calls ``prepare()`` once after starting a kernel (the kit, pandas and matplotlib
imported; what exists then is frozen out of later garbage collections) and ``reset()`` before
every briefing: a new IPython session (empty user namespace, execution count back to 1, the
previous briefing's garbage collected), no open figure, matplotlib's rcParams, warning filters
(and their "shown once" registries), working directory and environment as they were after
``prepare()``.

The kernel's environment is the one the pool passed when it started it (``WarmKernel(env=...)``), never the
parent's as it is later. A briefing may still change this process's ``os.environ`` (a notebook setting a
variable): ``reset`` undoes exactly the variables it added, removed or changed, and touches no other.
"""

from __future__ import annotations

import copy
import gc
import os
import warnings

_SAVED: dict = {}


def prepare() -> None:
    import matplotlib
    import matplotlib.pyplot as plt  # noqa: F401  (the inline backend, as a notebook's first chart does)

    import cchc_tools.content.views  # noqa: F401
    import cchc_tools.pipeline  # noqa: F401
    import cchc_tools.project  # noqa: F401
    import cchc_tools.provenance  # noqa: F401

    _SAVED.update(rc=copy.deepcopy(dict(matplotlib.rcParams)), filters=list(warnings.filters), cwd=os.getcwd(),
                  env=dict(os.environ))
    # What exists now (the modules, the kernel) lives as long as the kernel: leave it out of every later
    # garbage collection. IPython's reset collects before each briefing; it then walks only what the
    # briefings made (tens of thousands of objects rather than 150,000). Memory only: no state is kept.
    gc.collect()
    gc.freeze()


def reset(stamp: dict | None = None) -> None:
    import matplotlib
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    from cchc_tools.provenance import set_current

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # restoring deprecated rcParams warns
        matplotlib.rcParams.update(_SAVED["rc"])
    warnings.resetwarnings()  # also forgets which warnings were already shown
    warnings.filters[:] = _SAVED["filters"]
    os.chdir(_SAVED["cwd"])
    _restore_environment(_SAVED["env"])
    set_current(stamp)
    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)
    # IPython's reset collects before it clears the namespace; collect after, so that nothing the previous
    # briefing made (a figure, a frame in a cycle) is still alive, or finalised, during the next one.
    gc.collect()


def _restore_environment(saved: dict[str, str]) -> None:
    """This process's environment as ``saved``: only the variables a briefing added, removed or changed."""
    for k in [k for k in os.environ if k not in saved]:
        del os.environ[k]
    for k, v in saved.items():
        if os.environ.get(k) != v:
            os.environ[k] = v
