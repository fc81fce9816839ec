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
from collections.abc import Callable
from typing import Final

import numpy as np

BLOCK: Final = 256
"""Draws taken from a stream at once (numpy gives the same values as one at a time)."""


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
        self._generators: dict[str, dict[str, np.random.Generator]] = {}  # [name][entity]
        self._blocks: dict[str, dict[str, Block]] = {}  # [name][entity]: one kind per stream

    def get(self, name: str, entity: str = "") -> np.random.Generator:
        """Return the generator for process ``name`` and ``entity``, creating it on first use."""
        by_entity = self._generators.get(name)
        if by_entity is None:
            by_entity = self._generators[name] = {}
        gen = by_entity.get(entity)
        if gen is None:
            child = np.random.SeedSequence(
                entropy=self._seed.entropy,
                spawn_key=(*self._seed.spawn_key, stable_key(name), stable_key(entity)),
            )
            gen = by_entity[entity] = np.random.Generator(np.random.PCG64(child))
        return gen


    def uniform(self, name: str, entity: str = "") -> Block:
        """The stream's uniform draws in [0, 1) one by one, drawn in blocks (as ``random()``)."""
        return self._block(name, entity, "uniform", 0.0)

    def standard_gamma(self, name: str, entity: str, shape: float) -> Block:
        """The stream's standard gamma draws of ``shape``, in blocks; × scale gives ``gamma``.

        numpy's ``gamma(shape, scale)`` is ``scale × standard_gamma(shape)``, so the products
        equal one-at-a-time ``gamma`` draws bit for bit, as long as the shape stays the same.
        """
        return self._block(name, entity, "gamma", shape)

    def standard_exponential(self, name: str, entity: str = "") -> Block:
        """The stream's standard exponential draws, in blocks; × scale gives ``exponential``."""
        return self._block(name, entity, "exponential", 0.0)

    def _block(self, name: str, entity: str, kind: str, shape: float) -> Block:
        """The cached block of a stream drawn only in blocks of one kind (and shape).

        A stream is drawn either in blocks or one draw at a time (:meth:`get`), never both:
        blocks draw ahead, which would shift one-at-a-time draws.
        """
        by_entity = self._blocks.get(name)
        block = None if by_entity is None else by_entity.get(entity)
        if block is None:
            block = self._new_block(name, entity, kind, shape)
        elif block.kind != kind or block.shape != shape:
            raise ValueError(f"stream {name}/{entity} is drawn as {block.kind} {block.shape} "
                             f"and as {kind} {shape}")
        return block

    def _new_block(self, name: str, entity: str, kind: str, shape: float) -> Block:
        gen = self.get(name, entity)
        draw: Callable[[int], np.ndarray]
        if kind == "gamma":
            draw = lambda n: gen.standard_gamma(shape, n)  # noqa: E731
        elif kind == "exponential":
            draw = gen.standard_exponential
        else:
            draw = gen.random
        block = self._blocks.setdefault(name, {})[entity] = Block(draw, kind, shape)
        return block


class Block:
    """Values of one random stream, drawn ``BLOCK`` at a time and handed out one by one.

    Args:
        draw: returns the next ``n`` values of the stream (e.g. ``rng.random``).
        kind, shape: what is drawn (``uniform``, ``gamma`` of ``shape``, ``exponential``).
    """

    __slots__ = ("_draw", "_next", "_values", "kind", "shape")

    def __init__(self, draw: Callable[[int], np.ndarray], kind: str = "uniform",
                 shape: float = 0.0) -> None:
        self._draw = draw
        self.kind = kind
        self.shape = shape
        self._values: list[float] = []
        self._next = 0  # index of the next value to hand out

    def __call__(self) -> float:
        """The stream's next value."""
        i = self._next
        values = self._values
        if i == len(values):
            values = self._values = self._draw(BLOCK).tolist()
            i = 0
        self._next = i + 1
        return values[i]


def gamma_delay(streams: Streams, name: str, entity: str, mean_days: float, cv: float,
                factor: float = 1.0) -> float:
    """:func:`draw_delay` from stream (``name``, ``entity``) drawn in blocks: the same values."""
    mean = mean_days * factor
    if cv <= 0 or mean <= 0:
        return mean
    shape = 1.0 / (cv * cv)
    return streams.standard_gamma(name, entity, shape)() * (mean / shape)


def draw_delay(rng: np.random.Generator, mean_days: float, cv: float, factor: float = 1.0) -> float:
    """A gamma-distributed delay in days with the given mean and coefficient of variation.

    ``factor`` scales the mean (a policy that shortens lead times); ``cv == 0`` gives the mean.
    """
    mean = mean_days * factor
    if cv <= 0 or mean <= 0:
        return mean
    shape = 1.0 / (cv * cv)
    return float(rng.gamma(shape, mean / shape))
