"""Progress for notebooks and scripts: ``sim.run(..., progress=True)`` shows a bar.

The experiment functions take ``progress`` as a callback ``progress(finished, total)`` (the CLI
passes its own Rich bar), or ``True`` for a bar chosen here: ``tqdm.auto`` when tqdm is
installed (a widget in Jupyter, text elsewhere), otherwise Rich (which also renders in Jupyter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

Progress = Callable[[int, int], None]


@contextmanager
def _tqdm_bar(label: str) -> Iterator[Progress]:
    from tqdm.auto import tqdm

    bar = tqdm(desc=label, unit="task")
    try:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()
        yield update
    finally:
        bar.close()


@contextmanager
def _rich_bar(label: str) -> Iterator[Progress]:
    from rich.progress import Progress as RichProgress

    with RichProgress() as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
        yield update


def progress_bar(progress: Progress | bool | None, label: str
                 ) -> AbstractContextManager[Progress | None]:
    """A context giving the callback to pass on: ``progress`` itself, a new bar, or ``None``."""
    if progress is None or progress is False:
        return nullcontext(None)
    if progress is True:
        try:
            import tqdm.auto  # noqa: F401
        except ImportError:
            return _rich_bar(label)
        return _tqdm_bar(label)
    callback: Any = progress
    return nullcontext(callback)


__all__ = ["Progress", "progress_bar"]
