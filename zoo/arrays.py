"""Checks every data reader makes on numbers before anything trains, in the dtype the models use (float32).

A value can be finite in the file (float64, or a big integer) and still turn into inf when cast to float32, or
overflow once it is squared and summed (the standard deviation that normalises targets, the L2 norms of the PDE
loss). So every reader casts first, then checks against ``LIMIT``.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

# Largest magnitude accepted: its square summed over a million points (a 1024^2 grid, a million sequences) is
# ~1e36, still below float32's maximum (3.4e38), so statistics and losses stay finite.
LIMIT = 1e15


def float32_value(value: float, where: str, field: str = "value", shown: str | None = None) -> np.float32:
    """One number cast to float32, or an InputError naming ``where`` and ``field`` (and the value as ``shown``,
    e.g. the text of a table cell)."""
    with np.errstate(over="ignore"):
        cast = np.float32(value)
    if not np.isfinite(cast) or abs(float(cast)) > LIMIT:
        raise InputError(f"{where}: {field} {shown or repr(value)} is out of range; expected a finite number of "
                         f"magnitude at most {LIMIT:g} (the models compute in float32)")
    return cast


def float32_array(a: np.ndarray, where: str, name: str) -> np.ndarray:
    """``a`` cast to float32, or an InputError naming ``where``, the array ``name`` and the first bad sample."""
    with np.errstate(over="ignore", invalid="ignore"):
        cast = np.asarray(a).astype(np.float32)
        bad = ~np.isfinite(cast) | (np.abs(cast) > LIMIT)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"{where}: '{name}' has {int(bad.sum())} value(s) that are NaN, infinite or beyond "
                         f"+-{LIMIT:g} in float32 (the dtype the models use), the first at index {first} "
                         f"(value {np.asarray(a)[first].item()!r}); expected finite numbers of moderate size")
    return cast


def check_not_constant(values: np.ndarray, where: str, name: str) -> None:
    """Refuse an empty or constant array: its standard deviation (0) scales the loss, so nothing could train."""
    values = np.asarray(values)
    if values.size == 0:
        raise InputError(f"{where}: '{name}' is empty; expected at least two different values")
    if float(values.max()) == float(values.min()):
        raise InputError(f"{where}: every value of '{name}' is {float(values.flat[0]):g}; a constant {name} "
                         "leaves nothing to learn (its standard deviation, which scales the loss, is 0)")
