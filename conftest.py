"""How `make test` spreads the suite over one pytest-xdist worker per core.

Work goes to the workers in units that must not be split:

- a notebook's nbval cells: they share one kernel and run in sequence;
- a notebook's exercise-harness cases: they share the one kernel that runs the
  notebook's student edition;
- a unit-test module.

xdist's own ``--dist loadgroup`` would express this with ``xdist_group`` marks,
but with pytest 9.2 it silently stops grouping (pytest-dev/pytest-xdist#1386:
it renames node ids through an attribute pytest no longer reads), so the units
are given to xdist by its documented ``pytest_xdist_make_scheduler`` hook.
The units are queued longest first (notebooks, then unit tests), so that the
workers finish at about the same time.
"""

import re

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # xdist is pinned in requirements.txt; without it the suite runs serially
    LoadScopeScheduling = None

_HARNESS = re.compile(r"^tests/test_exercises\.py::test_exercise_check\[(\d\d)-")


def unit_of(nodeid: str) -> str:
    """The unit a test belongs to, from its node id."""
    harness = _HARNESS.match(nodeid)
    if harness:
        return f"harness {harness.group(1)}"
    return nodeid.split("::", 1)[0]  # the notebook, or the unit-test module


def _rank(unit: str) -> tuple:
    notebook = re.search(r"(?:harness |notebooks/)(\d\d)", unit)
    if notebook:  # the notebooks' units first, a notebook's harness next to its nbval run
        return 0, -int(notebook.group(1)), unit
    return 1, unit


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: _rank(unit_of(item.nodeid)))  # stable inside a unit


if LoadScopeScheduling is not None:
    class CourseScheduling(LoadScopeScheduling):
        """xdist's load-scope scheduler, with the course's units as scopes."""

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        return CourseScheduling(config, log)
