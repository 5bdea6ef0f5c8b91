"""The state database, the one source of truth: requests, messages, send progress, events.

SQLite in WAL mode with ``synchronous=FULL``, so a committed row survives a power cut;
explicit ``BEGIN IMMEDIATE`` transactions, so a reader never sees half of a change. Every raw
message is written to ``state_dir/mail/`` and fsynced before the row that names it commits.
The event log is append-only (triggers refuse UPDATE and DELETE) and hash-chained, so an edit
made behind SQLite's back is found by ``verify``. This is the only module that imports sqlite3;
``schema`` (tables, migrations), ``records`` (row types), ``mailfolder`` (private files),
``store_messages``, ``store_requests``, ``store_trail`` and ``store_uids`` (table groups
mixed into ``Store``) are its parts.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from iepd.errors import StoreError
from iepd.store import files as mailfolder
from iepd.store.drafts import DraftRow, DraftTable
from iepd.store.messages import InvalidStepError, MessageTables
from iepd.store.parent_messages import ParentMessages
from iepd.store.requests import RequestTable
from iepd.store.rows import EventRow, MessageRow, OutgoingRow, RequestRow
from iepd.store.schema import MIGRATIONS, SCHEMA_VERSION, allowed_steps
from iepd.store.uids import UidLedger

__all__ = [
    "SCHEMA_VERSION",
    "DraftRow",
    "EventRow",
    "InvalidStepError",
    "MessageRow",
    "OutgoingRow",
    "RequestRow",
    "Store",
    "allowed_steps",
]

logger = logging.getLogger(__name__)

DB_NAME = "iepd.sqlite3"
MAIL_DIR = "mail"
BUSY_TIMEOUT_MS = 10_000


def _connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    # mode=rw: a missing file is an error, not a new empty database.
    target = path if create else f"{path.absolute().as_uri()}?mode=rw"
    connection = sqlite3.connect(
        target,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
        uri=not create,
    )
    try:
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: SQLite refused WAL mode (got {mode!r})")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        connection.close()
        raise
    return connection


class Store(MessageTables, RequestTable, ParentMessages, DraftTable, UidLedger):
    """The state database and the raw-mail folder of one ``state_dir``.

    This class holds the connection, the transactions and the schema; the requests table
    (``store_requests``), the message tables (``store_messages``), the event log
    (``store_trail``) and the UID ledger (``store_uids``) are mixed in. One connection,
    shared by threads under a lock; a transaction holds the lock, so a thread never joins
    another thread's transaction by accident.
    """

    def __init__(self, state_dir: Path, connection: sqlite3.Connection) -> None:
        """Wrap an open connection; use ``Store.open``, which prepares folders and schema
        (or ``Store.open_existing``, which only reads)."""
        self.state_dir = state_dir
        self.mail_dir = state_dir / MAIL_DIR
        self._connection: sqlite3.Connection | None = connection
        self._lock = threading.RLock()
        self._depth = 0

    # -- lifecycle

    @classmethod
    def open(cls, state_dir: Path) -> Store:
        """Given the state folder, return an open store, creating or migrating it.

        Raise StoreError if the folder cannot be made private, the file is not a SQLite
        database, or its schema is newer than this iepd.
        """
        state_dir = Path(state_dir).expanduser()
        mailfolder.private_dir(state_dir)
        mailfolder.private_dir(state_dir / MAIL_DIR)
        path = state_dir / DB_NAME
        mailfolder.private_database_file(path)
        try:
            connection = _connect(path)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the state database {path}: {error}") from error
        store = cls(state_dir, connection)
        try:
            store._migrate()
        except BaseException:
            store.close()
            raise
        mailfolder.private_database_file(path)
        mailfolder.remove_temporaries(store.mail_dir)
        return store

    @classmethod
    def open_existing(cls, state_dir: Path) -> Store | None:
        """Given the state folder, return its store for reading, or None when `iepd run`
        has recorded nothing there yet; create, migrate and tidy nothing (for `status`,
        `timeline`, `verify` and `export`).

        Raise StoreError if the file is not a SQLite database or has another schema.
        """
        state_dir = Path(state_dir).expanduser()
        path = state_dir / DB_NAME
        try:
            path.stat()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read the state folder {state_dir}: {error}") from error
        try:
            store = cls(state_dir, _connect(path, create=False))
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the state database {path}: {error}") from error
        try:
            found = store._checked_version()
        except BaseException:
            store.close()
            raise
        if found == SCHEMA_VERSION:
            return store
        store.close()
        if found == 0:  # created, and stopped before its schema: nothing was recorded
            return None
        raise StoreError(
            f"{path} has schema version {found}, older than this iepd's ({SCHEMA_VERSION});"
            " `iepd run` migrates it"
        )

    def close(self) -> None:
        """Close the connection; the last one to close folds the WAL back into the file."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _checked_version(self) -> int:
        """Return the schema version; raise StoreError if unreadable or newer than ours."""
        path = self.state_dir / DB_NAME
        try:
            found = self._user_version()
        except StoreError as error:
            raise StoreError(f"{path} is not a usable SQLite database: {error}") from error
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {found}, newer than this iepd knows"
                f" ({SCHEMA_VERSION}); upgrade iepd"
            )
        return found

    def _migrate(self) -> None:
        path = self.state_dir / DB_NAME
        found = self._checked_version()
        if found == SCHEMA_VERSION:
            return
        # A migration that rebuilds a table (to widen a CHECK) drops the old one, which
        # with foreign keys on would delete-check every row pointing at it; SQLite ignores
        # this pragma inside a transaction, so it is set around it, and the keys are
        # checked before the commit instead.
        self._execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction():
                # Another process may have migrated between the check and the lock.
                found = self._user_version()
                for version in range(found, SCHEMA_VERSION):
                    logger.info("migrating %s to schema version %d", path, version + 1)
                    for statement in MIGRATIONS[version]:
                        self._execute(statement)
                broken = self._fetchall("PRAGMA foreign_key_check")
                if broken:
                    raise StoreError(f"{path}: migration left {len(broken)} dangling rows")
                self._execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        finally:
            self._execute("PRAGMA foreign_keys = ON")

    def _user_version(self) -> int:
        return int(self._fetchall("PRAGMA user_version")[0][0])

    # -- transactions and queries

    def _open_connection(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the store is closed")
        return self._connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one ``BEGIN IMMEDIATE`` transaction, committed durably on exit.

        A nested use joins the outer transaction as a savepoint: an exception rolls back
        the inner block only, and nothing is durable before the outer COMMIT. An sqlite3
        error becomes StoreError.
        """
        with self._lock:
            connection = self._open_connection()
            if self._depth:
                name = f"nested_{self._depth}"
                connection.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute(f"ROLLBACK TO {name}")
                        connection.execute(f"RELEASE {name}")
                    raise
                else:
                    connection.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise StoreError(f"cannot lock the state database: {error}") from error
            self._depth = 1
            try:
                yield
                connection.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise StoreError(f"state database error: {error}") from error
                raise
            finally:
                self._depth = 0

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Read several tables as of one moment, without taking the write lock."""
        with self._lock:
            if self._depth:
                yield
                return
            connection = self._open_connection()
            self._execute("BEGIN DEFERRED")
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")

    def _execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._open_connection().execute(sql, parameters)
            except sqlite3.Error as error:
                raise StoreError(f"state database error: {error}") from error

    def _fetchall(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._execute(sql, parameters).fetchall())

    def _insert(self, table: str, values: Mapping[str, Any]) -> int:
        columns = ", ".join(f'"{column}"' for column in values)
        placeholders = ", ".join("?" for _ in values)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        return int(self._execute(sql, tuple(values.values())).lastrowid or 0)

    def connection_settings(self) -> dict[str, Any]:
        """Return the pragmas this connection runs with (journal_mode, synchronous, ...)."""
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        return {name: self._fetchall(f"PRAGMA {name}")[0][0] for name in names}

    def integrity_check(self) -> str:
        """Return SQLite's ``PRAGMA integrity_check`` result ("ok" when sound)."""
        return "\n".join(str(row[0]) for row in self._fetchall("PRAGMA integrity_check"))

    def write_eml(self, raw: bytes, name: str) -> tuple[str, str]:
        """Given raw bytes and a name, write ``mail/<name>.eml`` durably (0600, fsynced).

        Return (the path relative to state_dir, the SHA-256 hex). Writing the same bytes
        again is a no-op (a retry after a crash). Raise StoreError if a different file of
        that name exists or the write fails.
        """
        filename = mailfolder.safe_name(name) + ".eml"
        digest = mailfolder.write_durably(self.mail_dir, filename, raw)
        return f"{MAIL_DIR}/{filename}", digest
