"""The sample returns shipped under data/samples/, loaded through the normal import path on first run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from metrics.storage.store import DATA_DIR, ImportOutcome


class Importer(Protocol):
    """What loading the samples needs of a store: the Store itself, or the scoped store an account acts through."""

    def import_bytes(self, data: bytes, name: str, *, who: str = "") -> tuple[Any, ImportOutcome]: ...


SAMPLES_DIR = DATA_DIR / "samples"
RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def sample_files(folder: Path = SAMPLES_DIR) -> list[Path]:
    """The sample returns, in name order (scripts and notes beside them are skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in RETURN_SUFFIXES and p.is_file())


def load_samples(store: Importer, *, who: str = "示例", folder: Path = SAMPLES_DIR) -> list[ImportOutcome]:
    """Read, check and store every sample return, each in its own transaction, like an upload."""
    return [store.import_bytes(path.read_bytes(), path.name, who=who)[1] for path in sample_files(folder)]
