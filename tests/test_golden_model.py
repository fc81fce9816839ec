"""The model's outputs for a small scenario equal the stored copy, byte for byte.

A refactor or an optimisation must not change any number; a change that is meant to change
results regenerates the copy with ``python3 tasks.py golden`` and says so in its commit message.
"""

from __future__ import annotations

import pytest
from golden_outputs import CASES, TABLES, path, render


@pytest.mark.parametrize(("variant", "replication"), CASES)
def test_tables_equal_the_stored_copy(variant: str, replication: int) -> None:
    """Every stored table of (variant, replication) is reproduced exactly."""
    rendered = render(variant, replication)
    for table in TABLES:
        stored = path(variant, replication, table).read_text()
        assert rendered[table] == stored, (
            f"{table} of {variant}/{replication} differs from {path(variant, replication, table)}; "
            "if the change is intended, run: python3 tasks.py golden")
