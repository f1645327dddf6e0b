"""``socialinvest ledger statement`` and ``socialinvest ledger indigo``: a partnership's documents
from the command line (docs/partnerships.md, "Downloads"). Registered on the ``ledger`` group of
:mod:`socialinvest.web.ledger_commands`, with the same conventions: act as a user (``--user``),
a mistake is one sentence on standard error and exit code 2, the file is written all or nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from socialinvest.errors import InputError, msg
from socialinvest.web.command_text import LangOpt, say
from socialinvest.web.commands import DatabaseOpt
from socialinvest.web.ledger_commands import (
    PartnershipOpt,
    RoleOpt,
    Run,
    UserOpt,
    guard,
    ledger_app,
)

OutOpt = Annotated[Path, typer.Option("--out", "-o", help="The file to write.")]


def _write(path: Path, data: bytes) -> None:
    from socialinvest.output.files import write_atomically

    try:
        write_atomically(path, data)
    except OSError:
        raise InputError(msg("cc_e_writable_file"), field="--out", value=str(path)) from None


@ledger_app.command("statement")
def statement(
    partnership: PartnershipOpt,
    user: UserOpt,
    period: Annotated[int, typer.Option("--period", help="The settlement period (1 = the first).")],
    out: OutOpt,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="pdf or xlsx (default: the suffix of --out, else pdf)."),
    ] = None,
    role: RoleOpt = None,
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Write a settlement's statement as PDF (A4) or XLSX; investors get the totals only."""

    def body() -> None:
        from socialinvest.service import partnership_reports as pr
        from socialinvest.service import partnerships as ps

        suffix = out.suffix.lower().lstrip(".")
        try:
            chosen = pr.statement_format(fmt if fmt is not None else (suffix or "pdf"))
        except InputError as error:  # the service names its own field: here the option's
            if fmt is None:  # read from the file name's suffix
                error.field, error.value = "--out", str(out)
            else:
                error.field = "--format"
            raise
        if suffix and suffix != chosen:
            raise InputError(msg("cc_e_out_suffix", format=chosen), field="--out", value=str(out))
        with Run(database, user) as (db, u):
            ctx = ps.read(db, partnership, u, role, prefer=("payer", "evaluator"))
            data = pr.statement_document(ctx, period, chosen, lang)
        _write(out, data)
        typer.echo(say(lang, "cc_statement_written", period=period, file=out))

    guard(body, lang)


@ledger_app.command("indigo")
def indigo(
    partnership: PartnershipOpt,
    user: UserOpt,
    out: OutOpt,
    draws: Annotated[int, typer.Option("--draws", help="Draws of the design stage's run.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="The design stage's seed.")] = 1,
    role: RoleOpt = None,
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Write the INDIGO project document with the realised figures beside the design stage's."""

    def body() -> None:
        from socialinvest.service import partnership_reports as pr
        from socialinvest.service import partnerships as ps

        if not 2 <= draws <= 20000:
            raise InputError(msg("cc_e_draws"), field="--draws", value=draws)
        with Run(database, user) as (db, u):
            doc = pr.realised_indigo(ps.read(db, partnership, u, role), draws=draws, seed=seed)
        _write(out, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        typer.echo(say(lang, "cc_indigo_written", file=out))

    guard(body, lang)
