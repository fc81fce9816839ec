"""Named random streams: the only source of randomness in a simulation.

Every replication gets one :class:`numpy.random.SeedSequence` built from the scenario's root seed
and the replication number, *never* from the variant, so all variants of a scenario see the same
draws wherever they do the same thing (common random numbers). Each random process asks for its
own stream by a stable name (``"nomination.delay"``) and, where useful, an entity key
(a contributor's or mission's name). Names are turned into integers with CRC-32 (stable across
runs and machines, unlike Python's ``hash``), so adding a process or a contributor never shifts
the draws of another.
"""

from __future__ import annotations

import zlib

import numpy as np


def stable_key(text: str) -> int:
    """Return a 32-bit integer for ``text`` that is the same on every machine and run."""
    return zlib.crc32(text.encode("utf-8"))


def replication_seed(root_seed: int, replication: int) -> np.random.SeedSequence:
    """Return the seed sequence of one replication; it does not depend on the variant."""
    return np.random.SeedSequence(entropy=root_seed, spawn_key=(replication,))


class Streams:
    """A lazily filled registry of named :class:`numpy.random.Generator` objects.

    Args:
        seed: the replication's seed sequence (see :func:`replication_seed`).
    """

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._seed = seed
        self._generators: dict[tuple[str, str], np.random.Generator] = {}

    def get(self, name: str, entity: str = "") -> np.random.Generator:
        """Return the generator for process ``name`` and ``entity``, creating it on first use."""
        key = (name, entity)
        try:
            return self._generators[key]
        except KeyError:
            child = np.random.SeedSequence(
                entropy=self._seed.entropy,
                spawn_key=(*self._seed.spawn_key, stable_key(name), stable_key(entity)),
            )
            gen = np.random.Generator(np.random.PCG64(child))
            self._generators[key] = gen
            return gen


def draw_delay(rng: np.random.Generator, mean_days: float, cv: float, factor: float = 1.0) -> float:
    """A gamma-distributed delay in days with the given mean and coefficient of variation.

    ``factor`` scales the mean (a policy that shortens lead times); ``cv == 0`` gives the mean.
    """
    mean = mean_days * factor
    if cv <= 0 or mean <= 0:
        return mean
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape, mean / shape))
