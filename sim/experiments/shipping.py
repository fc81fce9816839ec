"""Batches sent to Dask workers with each scenario pickled once, not inside every task.

A task carries its resolved scenario: for the baseline ~52 KB pickled, ~10,000 objects. Sent
inside each Dask submission it was pickled by the client, unpickled and pickled again by the
scheduler, which for a local cluster runs in the run's parent and shares its interpreter lock
with the thread assembling the tables, and unpickled by the worker, every time.

A :class:`ShippedBatch` holds the batch's tasks pickled with their scenarios left out (pickle's
persistent IDs: each scenario is replaced by its place in the batch's list of scenarios) and
each distinct scenario's pickle as bytes, which Dask carries without looking inside. A worker
unpickles a scenario the first time it sees those bytes and keeps the last :data:`KEPT`
(``functools.lru_cache``); later tasks reuse it, as the serial executor reuses one scenario for
every replication. A scenario is frozen and nothing in a replication changes it, so results
are the same bytes (``tests/test_experiment.py``, ``tests/test_dask_cluster.py``).

Measured with a local cluster of 2 workers on 2 cores (baseline): the parent's event-loop
thread (client and scheduler) 0.68 → 0.42 s of CPU per 10 s of run, ~12.6 → ~7.8 ms a task;
80 replications 18.35–18.55 → 17.81–17.99 s.
"""

from __future__ import annotations

import functools
import io
import pickle
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import cloudpickle

if TYPE_CHECKING:
    from sim.experiments.executors import TaskSpec
    from sim.scenario.schema import Scenario

KEPT = 8
"""Scenarios a worker keeps unpickled, and the parent's shipper keeps pickled (a comparison's
variants, a sweep's recent points)."""


@dataclass(frozen=True)
class ShippedBatch:
    """A batch of tasks as sent to a Dask worker.

    Attributes:
        tasks: the list of :class:`~sim.experiments.executors.TaskSpec`, pickled (with
            cloudpickle, as Dask would) with each scenario replaced by its place in
            ``scenarios``.
        scenarios: the pickles of the batch's distinct scenarios.
    """

    tasks: bytes
    scenarios: tuple[bytes, ...]


@dataclass
class Shipper:
    """Packs batches for one run, pickling each scenario object once while it is in use.

    Batches come key by key, so the last :data:`KEPT` scenarios' pickles are kept: a sweep of
    a thousand points does not hold a thousand pickles.
    """

    _pickled: OrderedDict[int, tuple[Scenario, bytes]] = field(default_factory=OrderedDict)

    def pack(self, specs: list[TaskSpec]) -> ShippedBatch:
        """``specs`` as a :class:`ShippedBatch`."""
        from sim.scenario.schema import Scenario

        places: dict[int, int] = {}  # id of a scenario -> its place in the batch's list
        scenarios: list[bytes] = []
        sink = io.BytesIO()
        pickler = cloudpickle.Pickler(sink, protocol=pickle.HIGHEST_PROTOCOL)

        def persistent_id(obj: Any) -> int | None:
            if not isinstance(obj, Scenario):
                return None
            if id(obj) not in places:
                places[id(obj)] = len(scenarios)
                scenarios.append(self._pickle(obj))
            return places[id(obj)]

        pickler.persistent_id = persistent_id
        pickler.dump(specs)
        return ShippedBatch(sink.getvalue(), tuple(scenarios))

    def _pickle(self, scenario: Scenario) -> bytes:
        """The pickle of ``scenario``, made once while it is kept.

        The object is kept with its pickle, so that its ``id`` is not reused meanwhile.
        """
        known = self._pickled.get(id(scenario))
        if known is None:
            known = (scenario, pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL))
            self._pickled[id(scenario)] = known
            while len(self._pickled) > KEPT:
                self._pickled.popitem(last=False)
        else:
            self._pickled.move_to_end(id(scenario))
        return known[1]


@functools.lru_cache(maxsize=KEPT)
def _unpickled(blob: bytes) -> Any:
    """The scenario pickled as ``blob``, unpickled once while this worker keeps it."""
    return pickle.loads(blob)


def unpack(shipped: ShippedBatch) -> list[TaskSpec]:
    """The tasks of ``shipped``, with this worker's kept scenarios where it has them."""
    unpickler = pickle.Unpickler(io.BytesIO(shipped.tasks))
    unpickler.persistent_load = (  # type: ignore[method-assign]
        lambda place: _unpickled(shipped.scenarios[place]))
    specs: list[TaskSpec] = unpickler.load()
    return specs


__all__ = ["KEPT", "ShippedBatch", "Shipper", "unpack"]
