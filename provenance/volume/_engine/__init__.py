"""The engines ``check`` runs on: one interface (:mod:`.interface`), one module per engine.

``local`` (:mod:`.local`) is the guarded process pool on this machine;
``dask`` (:mod:`.dask`) runs the same tasks on a Dask distributed cluster and is
imported only when asked for, because Dask is an optional extra.
"""

from __future__ import annotations

from provenance.errors import OperationError
from provenance.volume._engine.interface import Engine, Outcome, Task, VerifyJob

ENGINES = ("local", "dask")

__all__ = ["ENGINES", "Engine", "Outcome", "Task", "VerifyJob", "make_engine"]


def make_engine(
    name: str,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Engine:
    """The engine called ``name``; a clear error (with the install hint) when it is unavailable."""
    if name == "local":
        from provenance.volume._engine.local import LocalEngine

        return LocalEngine(jobs=jobs)
    if name == "dask":
        try:
            from provenance.volume._engine.dask import DaskEngine
        except ImportError as exc:
            raise OperationError(
                "The dask engine needs Dask distributed, which is not installed.",
                hint="Install the optional extra: pip install 'provenance[dask]'.",
            ) from exc
        return DaskEngine(scheduler=scheduler, workers=workers)
    raise OperationError(f"Unknown engine {name!r}.", hint=f"Use one of: {', '.join(ENGINES)}.")
