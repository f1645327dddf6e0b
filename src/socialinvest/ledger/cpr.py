"""CPR numbers: checked, then kept only as keyed pseudonyms (HMAC-SHA256).

A CPR number (Danish civil registration number) is DDMMYY-SSSS. It is checked here as 10 digits
whose first six are a real date; the century follows from the 7th digit and the year as the CPR
office assigns it (``century``). There is deliberately no modulus-11 check: numbers issued since
2007 need not satisfy it.

The ledger never stores a CPR number. :meth:`Keyring.pseudonym` turns it into
``"<key id>:<hex>"``, the HMAC-SHA256 under a secret key of the partnership's id and the number;
the same person gets the same pseudonym within one partnership (so a second enrolment is
refused) and unrelated pseudonyms in two partnerships. The key comes from a key file or the
environment, never from the database; without one the ledger refuses to work
(:meth:`Keyring.from_environment`). Rotation: docs/ledger.md.

Synthetic numbers for demonstrations and tests have the day of month raised by 60 (61–91), as
Danish test systems do: no real person can have one. They are accepted only in demo mode, and a
demo ledger accepts nothing else.

No function here puts a CPR number into an exception, a ``repr`` or a log line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from socialinvest.ledger.errors import LedgerError

KEY_ENV = "SOCIALINVEST_LEDGER_KEY"
KEY_FILE_ENV = "SOCIALINVEST_LEDGER_KEY_FILE"
MIN_KEY_BYTES = 32
SYNTHETIC_DAY_OFFSET = 60

_FORM = re.compile(r"^(\d{6})-?(\d{4})$")
_KEY_ID = re.compile(r"^[A-Za-z0-9_.]{1,32}$")


def century(seventh_digit: int, yy: int) -> int:
    """The century of a CPR number's birth year (the CPR office's table):

    7th digit 0–3: 1900s; 4 and 9: 2000s for YY 00–36, else 1900s;
    5–8: 2000s for YY 00–57, 1800s for YY 58–99.
    """
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def _digits(number: str) -> str | None:
    m = _FORM.match(number.strip()) if isinstance(number, str) else None
    return m.group(1) + m.group(2) if m else None


def birth_date(number: str, *, synthetic: bool = False) -> dt.date | None:
    """The birth date a CPR number encodes, or None when it is not one (never raises, never
    echoes the number). ``synthetic``: read the day of month as raised by 60."""
    digits = _digits(number)
    if digits is None:
        return None
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if synthetic:
        day -= SYNTHETIC_DAY_OFFSET
    try:
        return dt.date(century(int(digits[6]), yy) + yy, month, day)
    except ValueError:
        return None


def is_synthetic(number: str) -> bool:
    """A number whose day of month is 61–91 and which is a valid date once 60 is taken off."""
    digits = _digits(number)
    return (
        digits is not None
        and int(digits[0:2]) > SYNTHETIC_DAY_OFFSET
        and birth_date(number, synthetic=True) is not None
    )


def normalise(number: str, *, demo: bool = False, where: str = "") -> str:
    """The 10 digits of a valid CPR number, or a :class:`LedgerError` that does not show it.

    ``demo``: accept only synthetic numbers (day of month + 60); otherwise refuse them.
    ``where``: what to name in the error (e.g. "row 7"), since the number itself is never named.
    """
    at = f"{where}: " if where else ""
    digits = _digits(number) if isinstance(number, str) else None
    if digits is None:
        raise LedgerError("cpr_form", where=at)
    if is_synthetic(digits):
        if not demo:
            raise LedgerError("cpr_synthetic_outside_demo", where=at)
        return digits
    if demo:
        raise LedgerError("cpr_real_in_demo", where=at)
    if birth_date(digits) is None:
        raise LedgerError("cpr_date", where=at)
    return digits


def synthetic_numbers(n: int, seed: int) -> list[str]:
    """``n`` distinct synthetic CPR numbers (day of month + 60), birth years 1950–2005."""
    rng = np.random.default_rng(seed)
    out: set[str] = set()
    ordered: list[str] = []
    start = dt.date(1950, 1, 1).toordinal()
    span = dt.date(2005, 12, 31).toordinal() - start
    while len(ordered) < n:
        born = dt.date.fromordinal(start + int(rng.integers(0, span + 1)))
        yy = born.year % 100
        # a 7th digit whose century gives the birth year
        sevenths = [s for s in range(10) if century(s, yy) + yy == born.year]
        seventh = sevenths[int(rng.integers(0, len(sevenths)))]
        serial = f"{seventh}{int(rng.integers(0, 1000)):03d}"
        number = f"{born.day + SYNTHETIC_DAY_OFFSET:02d}{born.month:02d}{yy:02d}{serial}"
        if number not in out:
            out.add(number)
            ordered.append(number)
    return ordered


# ----------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class Key:
    """A pseudonymisation key. Its secret never appears in a repr."""

    id: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class Keyring:
    """The keys pseudonyms are made with; the first is the current one (new pseudonyms), the
    others are older keys still needed to recognise pseudonyms not yet re-keyed."""

    keys: tuple[Key, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise LedgerError("key_missing", env=KEY_ENV, file_env=KEY_FILE_ENV)
        ids = [k.id for k in self.keys]
        if len(set(ids)) != len(ids):
            raise LedgerError("key_duplicate_id")
        for k in self.keys:
            if len(k.secret) < MIN_KEY_BYTES:
                raise LedgerError("key_short", key_id=k.id, n=MIN_KEY_BYTES)

    @property
    def current(self) -> Key:
        return self.keys[0]

    @classmethod
    def parse(cls, text: str, source: str) -> Keyring:
        """Keys from text: one per line (or separated by ';'), ``ID HEX`` or just ``HEX`` (id
        "k1"); '#' starts a comment; the first key is the current one."""
        keys: list[Key] = []
        for raw in re.split(r"[;\n]", text):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) == 1:
                key_id, secret = f"k{len(keys) + 1}", parts[0]
            elif len(parts) == 2:
                key_id, secret = parts
            else:
                raise LedgerError("key_format", source=source)
            if not _KEY_ID.match(key_id):
                raise LedgerError("key_format", source=source)
            try:
                keys.append(Key(key_id, bytes.fromhex(secret)))
            except ValueError:
                raise LedgerError("key_format", source=source) from None
        return cls(tuple(keys))

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Keyring:
        """The keys from the file named by SOCIALINVEST_LEDGER_KEY_FILE, else from
        SOCIALINVEST_LEDGER_KEY; refuses to go on without one."""
        environ = os.environ if env is None else env
        path = environ.get(KEY_FILE_ENV)
        if path:
            try:
                content = Path(path).read_text(encoding="utf-8")
            except OSError:
                raise LedgerError("key_file_unreadable", path=path) from None
            return cls.parse(content, path)
        value = environ.get(KEY_ENV)
        if value:
            return cls.parse(value, KEY_ENV)
        raise LedgerError("key_missing", env=KEY_ENV, file_env=KEY_FILE_ENV)

    @staticmethod
    def generate(key_id: str = "k1") -> str:
        """A new key line for a key file (``ID HEX``, 32 random bytes)."""
        return f"{key_id} {os.urandom(MIN_KEY_BYTES).hex()}"

    def _mac(self, key: Key, partnership: str, digits: str) -> str:
        mac = hmac.new(key.secret, f"{partnership}:{digits}".encode(), hashlib.sha256)
        return f"{key.id}:{mac.hexdigest()}"

    def pseudonym(
        self, partnership: str, number: str, *, demo: bool = False, where: str = ""
    ) -> str:
        """The pseudonym of a CPR number in a partnership, under the current key."""
        return self._mac(self.current, partnership, normalise(number, demo=demo, where=where))

    def candidates(
        self, partnership: str, number: str, *, demo: bool = False, where: str = ""
    ) -> set[str]:
        """Its pseudonym under every key of the ring (a participant enrolled before a rotation
        and not yet re-keyed still has one under an older key)."""
        digits = normalise(number, demo=demo, where=where)
        return {self._mac(k, partnership, digits) for k in self.keys}

    def rekey_mapping(
        self, partnership: str, numbers: Iterable[str], *, demo: bool = False
    ) -> dict[str, str]:
        """For a rotation: old pseudonym → pseudonym under the current key, for the CPR numbers
        the payer supplies at rotation time (e.g. from its case system), under every older key.
        The mapping holds no CPR number; it is applied by the ledger and then discarded."""
        out: dict[str, str] = {}
        for i, number in enumerate(numbers, start=1):
            digits = normalise(number, demo=demo, where=f"number {i}")
            new = self._mac(self.current, partnership, digits)
            for k in self.keys[1:]:
                out[self._mac(k, partnership, digits)] = new
        return out


def key_id_of(pseudonym: str) -> str:
    return pseudonym.split(":", 1)[0]


def short(pseudonym: str) -> str:
    """The form shown in statements and messages: key id and the first 12 hex digits."""
    key_id, _, mac = pseudonym.partition(":")
    return f"{key_id}:{mac[:12]}" if mac else pseudonym[:16]
