"""Arrays and JSON values as a run stores them (``run_columns``), and the canonical hash both fingerprints use.

A stored column is its kind, its shape and its bytes (:class:`~openmosprom_cli.store.runs.StoredColumn`):
the kind is a numpy dtype string such as ``<i4`` (always little-endian), or
``json`` for a JSON text in UTF-8. Integer arrays are stored in the smallest
type that holds them; a fingerprint never depends on that choice, since it
hashes every array in a fixed type (:func:`canonical_hash`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from openmosprom_cli.store.runs import StoredColumn

if TYPE_CHECKING:
    import numpy as np

JSON_KIND = "json"


def array_column(values: np.ndarray, *, compact: bool = True) -> StoredColumn:
    """An array as a stored column; integers in the smallest signed type that holds them when ``compact``."""
    import numpy as np

    values = np.asarray(values)
    if compact and values.dtype.kind in "iu":
        values = values.astype(smallest_int(values), copy=False)
    little = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
    return StoredColumn(little.dtype.str, tuple(int(d) for d in little.shape), little.tobytes())


def json_column(value: Any) -> StoredColumn:
    return StoredColumn(JSON_KIND, (), json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def read_array(column: StoredColumn) -> np.ndarray:
    """The stored array (read-only, in native byte order)."""
    import numpy as np

    if column.kind == JSON_KIND:
        raise ValueError("a JSON column where an array was expected")
    values = np.frombuffer(column.data, dtype=np.dtype(column.kind)).reshape(column.shape)
    return values if values.dtype.isnative else values.astype(values.dtype.newbyteorder("="))


def read_json(column: StoredColumn) -> Any:
    if column.kind != JSON_KIND:
        raise ValueError("an array where a JSON column was expected")
    return json.loads(column.data.decode("utf-8"))


def smallest_int(values: np.ndarray) -> np.dtype:
    """The narrowest signed integer type (8 to 64 bits) holding every value."""
    import numpy as np

    low, high = (int(values.min()), int(values.max())) if values.size else (0, 0)
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def canonical_json(value: Any) -> str:
    """The one JSON text of a value that every fingerprint hashes: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_hash(head: Any, arrays: Iterable[tuple[np.ndarray, str]]) -> str:
    """SHA-256 of ``head`` as canonical JSON, a newline, then each array's values in the given little-endian type.

    ``head`` names every array's shape, so the bytes after it split only one way;
    anyone can recompute it from the stored columns.
    """
    import numpy as np

    digest = hashlib.sha256(canonical_json(head).encode("utf-8"))
    digest.update(b"\n")
    for values, dtype in arrays:
        digest.update(np.ascontiguousarray(values, dtype=np.dtype(dtype)).tobytes())
    return digest.hexdigest()


def index_of(vocabulary: Sequence[str]) -> dict[str, int]:
    return {value: i for i, value in enumerate(vocabulary)}
