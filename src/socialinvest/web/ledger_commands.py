"""``socialinvest ledger …``: running partnerships from the command line (docs/ledger.md).

The same rules as the web: every command acts as a user of the web application (``--user``),
whose organisation's partnership role decides what they may do and see; the operations are the
service's (``service.partnerships``), each one transaction. Output is text or JSON
(``--format json``); a mistake is one sentence on standard error and exit code 2.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from socialinvest.errors import InputError, msg
from socialinvest.web.command_text import LangOpt, decimal, fail, kroner, say
from socialinvest.web.commands import DatabaseOpt

ledger_app = typer.Typer(help="Running partnerships: the ledger.", no_args_is_help=True)

UserOpt = Annotated[
    str, typer.Option("--user", help="Act as this user (their organisation's role).")
]
PartnershipOpt = Annotated[int, typer.Option("--partnership", "-p", help="The partnership's id.")]
FormatOpt = Annotated[str, typer.Option("--format", help="text or json.")]
RoleOpt = Annotated[
    str | None,
    typer.Option("--role", help="The partnership role to act in, if the organisation has several."),
]


def _url(database: str | None) -> str:
    from socialinvest.store.db import check_url, default_url

    return check_url(database or default_url())


def _check_format(fmt: str | None) -> None:
    if fmt is not None and fmt not in ("text", "json"):
        raise InputError(msg("cc_e_text_or_json"), field="--format", value=fmt)


def _out(value: Any, fmt: str, text: str) -> None:
    """JSON (language-neutral keys) or the text already in the user's language."""
    _check_format(fmt)
    if fmt == "json":
        typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text)


class Run:
    """A database session and the acting user, with errors turned into one sentence."""

    def __init__(self, database: str | None, username: str | None) -> None:
        self.database = database
        self.username = username

    def __enter__(self) -> tuple[Any, Any]:
        from socialinvest.store import users as user_store
        from socialinvest.store.db import make_engine, session_factory, upgrade

        url = _url(self.database)
        upgrade(url)
        self.engine = make_engine(url)
        self.db = session_factory(self.engine)()
        user = None
        if self.username is not None:
            user = user_store.by_username(self.db, self.username)
            if user is None or not user.active:
                self.__exit__(None, None, None)
                raise InputError(msg("cc_e_active_user"), field="--user", value=self.username)
        return self.db, user

    def __exit__(self, *exc: object) -> None:
        self.db.close()
        self.engine.dispose()


def guard(fn: Any, lang: str, fmt: str | None = None) -> Any:
    """Run a command body (after checking ``--format``, so that nothing is done for a format
    that cannot be shown); InputError, and a partnership the user may not see, are one sentence
    in ``lang``."""
    from socialinvest.service.partnerships import NotFound

    try:
        _check_format(fmt)
        return fn()
    except NotFound as missing:
        fail(
            InputError(
                field="--partnership",
                statement=msg("cc_e_no_partnership", id=str(missing.args[0])),
            ),
            lang,
        )
    except InputError as error:
        # the whole sentence scrubbed: a value a user typed (a price, an intake, a name) may
        # hold a CPR number, and a ledger command never echoes one
        typer.echo(str(_scrubbed(say(lang, "err_prefix") + error.render(lang))), err=True)
        raise typer.Exit(code=2) from None


def _read_bytes(file: Path, field: str) -> bytes:
    try:
        return file.read_bytes()
    except OSError:
        raise InputError(msg("cc_e_readable_file"), field=field, value=str(file)) from None


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        if "=" not in v:
            raise InputError(msg("cc_e_name_value"), field=option, value=v)
        a, b = v.split("=", 1)
        out.append((a.strip(), b.strip()))
    return out


def _prices(values: list[str] | None) -> dict[str, float]:
    """``--price LINE=KRONER`` options as {line: kroner}."""
    prices = {}
    for line, value in _pairs(values or [], "--price"):
        try:
            prices[line] = float(value)
        except ValueError:
            raise InputError(msg("cc_e_kroner"), field="--price", value=value) from None
    return prices


@ledger_app.command("create")
def create(
    user: UserOpt,
    case: Annotated[int, typer.Option("--case", help="The case's id.")],
    version: Annotated[int, typer.Option("--version", help="The approved version's number.")],
    key: Annotated[str, typer.Option("--key", help="A short unique name, e.g. aalborg-2026.")],
    party: Annotated[
        list[str],
        typer.Option(
            "--party",
            help="ORGANISATION=ROLE (payer, provider, investor, evaluator, auditor); repeat.",
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The partnership's name.")] = "",
    price: Annotated[
        list[str] | None, typer.Option("--price", help="LINE=KRONER for a line priced 'solve'.")
    ] = None,
    eligibility: Annotated[
        list[str] | None, typer.Option("--eligibility", help="A criterion enrolment declares.")
    ] = None,
    settle_every: Annotated[
        int | None, typer.Option("--settle-every", help="Contract periods per settlement.")
    ] = None,
    data_processor: Annotated[
        list[str] | None,
        typer.Option("--data-processor", help="A provider that enrols for the payer."),
    ] = None,
    min_count: Annotated[int, typer.Option("--min-count", help="Suppress counts below this.")] = 5,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Create a partnership from an approved case version with a contract section."""

    def body() -> None:
        from socialinvest.service import partnerships as ps
        from socialinvest.store import users as user_store
        from socialinvest.store.models import Case

        with Run(database, user) as (db, u):
            c = db.get(Case, case)
            if c is None or c.organisation_id != u.organisation_id:
                raise InputError(msg("cc_e_case_of_org"), field="--case", value=case)
            parties = []
            for org_name, role in _pairs(party, "--party"):
                org = user_store.organisations(db)
                match = next((o for o in org if o.name == org_name), None)
                if match is None:
                    raise InputError(msg("cc_e_org_of_db"), field="--party", value=org_name)
                parties.append((match, role))
            prices = _prices(price)
            new_id = ps.create(
                db,
                u,
                c,
                version,
                key=key,
                name=name or key,
                parties=parties,
                prices=prices,
                eligibility=eligibility or [],
                settle_every=settle_every,
                data_processors=data_processor or [],
                min_count=min_count,
            )
        _out(
            {"partnership": new_id, "key": key},
            fmt,
            say(lang, "cc_partnership_created", id=str(new_id), key=key),
        )

    guard(body, lang, fmt)


@ledger_app.command("enrol")
def enrol(
    partnership: PartnershipOpt,
    user: UserOpt,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="CSV with a header cpr,enrolled,cohort "
            "(CPR numbers never go on the command line).",
        ),
    ],
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Enrol citizens from a file: all of them or none."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        data = _read_bytes(file, "--file")
        rows = ps.read_enrolments(str(file), data)
        with Run(database, user) as (db, u):
            ids = ps.enrol_many(db, partnership, u, rows, role=role)
        _out(
            {"enrolled": len(ids), "participants": ids},
            fmt,
            say(lang, "cc_enrolled", n=len(ids)),
        )

    guard(body, lang, fmt)


@ledger_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX of outcome records.")],
    partnership: PartnershipOpt,
    user: UserOpt,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Import outcome records: all or nothing; the same file twice changes nothing."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        data = _read_bytes(file, "FILE")
        with Run(database, user) as (db, u):
            out = ps.import_outcomes(db, partnership, u, file.name, data, role=role)
        text = (
            say(lang, "cc_import_again", file=file.name)
            if out.get("already_imported")
            else say(
                lang,
                "cc_import_done",
                file=file.name,
                created=int(out["created"]),
                flagged=len(out["flagged_for_evaluator"]),
                unchanged=int(out.get("unchanged", 0)),
            )
        )
        _out(out, fmt, text)

    guard(body, lang, fmt)


@ledger_app.command("verify-outcomes")
def verify_outcomes(
    partnership: PartnershipOpt,
    user: UserOpt,
    record: Annotated[
        list[int] | None, typer.Option("--record", help="A record's id; repeat.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject instead of verify.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (needed to reject).")] = "",
    sample: Annotated[
        int | None, typer.Option("--sample", help="Draw a random sample of this size instead.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The sample's seed.")] = 1,
    through: Annotated[
        int | None, typer.Option("--through", help="Sample records up to this period.")
    ] = None,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """The evaluator verifies or rejects records, or draws a sample to verify."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with Run(database, user) as (db, u):
            if sample is not None:
                out: Any = ps.draw_sample(db, partnership, u, sample, seed, through, role=role)
                text = say(
                    lang,
                    "cc_sample",
                    sample=str(out["sample"]),
                    n=len(out["sampled"]),
                    population=int(out["population"]),
                    records=", ".join(str(x) for x in out["sampled"]),
                )
            else:
                if not record:
                    raise InputError(
                        msg("cc_e_record_or_sample"), field="--record", has_value=False
                    )
                decision = "reject" if reject else "verify"
                out = ps.decide(db, partnership, u, record, decision, reason, role=role)
                text = "\n".join(
                    say(
                        lang,
                        "cc_record_status",
                        record=str(x["record"]),
                        status=_word(lang, "lw_rstatus_", x["status"]),
                    )
                    for x in out
                )
        _out(out, fmt, text)

    guard(body, lang, fmt)


@ledger_app.command("settle")
def settle(
    partnership: PartnershipOpt,
    user: UserOpt,
    period: Annotated[int, typer.Option("--period", help="The settlement period (1 = the first).")],
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve and lock it (payer).")
    ] = False,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Show a settlement's statement (drafted from the verified outcomes), or approve it."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with Run(database, user) as (db, u):
            if approve:
                out = ps.approve(db, partnership, u, period, role=role)
                text = say(
                    lang,
                    "cc_settlement_approved",
                    period=period,
                    totals=", ".join(
                        say(lang, "cc_pays", payer=k, amount=kroner(v, lang))
                        for k, v in out["totals"].items()
                    ),
                )
            else:
                ctx = ps.read(db, partnership, u, role, prefer=("payer", "evaluator"))
                out = ps.statement_view(ctx, period, lang)
                status = str(out.get("status"))
                shown = {
                    "draft": "cc_settlement_draft",
                    "approved": "cc_settlement_approved_status",
                }
                lines = [
                    say(
                        lang,
                        "cc_settlement_heading",
                        period=period,
                        status=say(lang, shown[status]) if status in shown else status,
                    )
                ]
                lines += [
                    say(lang, "cc_payer_total", payer=k, amount=kroner(v["total"], lang))
                    for k, v in out["payers"].items()
                ]
                lines += [x["text"] for x in out.get("explained", [])]
                text = "\n".join(lines)
        _out(out, fmt, text)

    guard(body, lang, fmt)


@ledger_app.command("status")
def status(
    partnership: PartnershipOpt,
    user: UserOpt,
    as_of: Annotated[int | None, typer.Option("--as-of", help="The period (default: now).")] = None,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Enrolment against plan, outcomes, payments and balances (counts suppressed when small)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        if as_of is not None and as_of < 1:
            raise InputError(msg("cc_e_as_of"), field="--as-of", value=as_of)
        with Run(database, user) as (db, u):
            out = ps.status_view(ps.read(db, partnership, u, role), as_of)
        e = out["enrolment"]
        records = ", ".join(
            say(lang, "cc_status_count", status=_word(lang, "lw_rstatus_", k), n=int(n))
            for k, n in out["records"].items()
        )
        paid = ", ".join(
            say(lang, "cc_paid_by", payer=k, amount=kroner(v, lang))
            for k, v in out["payments"]["paid"].items()
        )
        text = say(
            lang,
            "cc_status",
            name=out["partnership"]["name"],
            period=int(out["as_of_period"]),
            enrolled=int(e["enrolled"]),
            planned=int(e["planned_to_date"]),
            total=int(e["planned_total"]),
            records=records or say(lang, "cc_none"),
            paid=paid or say(lang, "cc_none"),
        )
        cohorts = out.get("threshold_cohorts") or []
        if cohorts:
            text += "\n" + say(lang, "th_status_heading")
        for c in cohorts:
            text += "\n  " + say(
                lang,
                "th_status",
                line=c["name"],
                cohort=int(c["cohort"]),
                period=int(c["period"]),
                successes=decimal(
                    c["successes"], lang, 0 if c["successes"] == int(c["successes"]) else 2
                ),
                baseline=decimal(c["baseline"], lang, 2),
                met=say(lang, "th_met_short" if c["met"] else "th_not_met_short"),
                amount=kroner(c["amount"], lang),
                settlement=int(c["settlement"]),
            )
        _out(out, fmt, text)

    guard(body, lang, fmt)


@ledger_app.command("forecast")
def forecast(
    partnership: PartnershipOpt,
    user: UserOpt,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="The design stage's seed.")] = 1,
    target: Annotated[
        float | None, typer.Option("--target", help="Target success share, e.g. 0.4.")
    ] = None,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Re-forecast from what has been observed: P(target), payments, every party's position."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with Run(database, user) as (db, u):
            out = ps.forecast_view(
                ps.read(db, partnership, u, role), draws=draws, seed=seed, target_rate=target
            )
        rate = out["success_rate"]
        pay = out["outcome_payments"]
        text = say(
            lang,
            "cc_forecast",
            prior=decimal(rate["prior"]["mean"], lang, 3),
            updated=decimal(rate["updated"]["mean"], lang, 3),
            design=kroner(pay["design"]["mean"], lang, 0),
            forecast=kroner(pay["forecast"]["mean"], lang, 0),
        )
        if "prob_target" in out:
            p = decimal(out["prob_target"]["forecast"], lang, 2)
            text += say(lang, "cc_forecast_target", p=p)
        _out(out, fmt, text)

    guard(body, lang, fmt)


@ledger_app.command("verify")
def verify(
    partnership: PartnershipOpt,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Check the audit chain and every row against it; names the first that does not fit."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with Run(database, None) as (db, _):
            ok, entity, sentence = ps.verify_integrity(db, partnership)
        shown = say(lang, "cc_integrity_ok") if ok else _integrity(lang, entity, sentence)
        _out({"ok": ok, "entity": entity, "message": sentence}, fmt, shown)
        if not ok:
            raise typer.Exit(code=1)

    guard(body, lang, fmt)


@ledger_app.command("backup")
def backup(
    partnership: PartnershipOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="The backup file (JSON).")],
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Write a whole partnership to a JSON file (no CPR number, no key)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with Run(database, None) as (db, _):
            data = ps.backup(db, partnership)
        tmp = output.with_name(output.name + ".part")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(output)
        except OSError:  # a folder, a missing folder, no permission: one sentence
            tmp.unlink(missing_ok=True)
            raise InputError(
                msg("cc_e_writable_file"), field="--output", value=str(output)
            ) from None
        typer.echo(say(lang, "cc_backup_written", id=str(partnership), file=output))

    guard(body, lang)


@ledger_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by 'ledger backup'.")],
    user: UserOpt,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a partnership with the same key.")
    ] = False,
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """Read a partnership back from a backup (checked against its own audit chain first)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(msg("cc_e_backup_file"), field="FILE", value=str(file)) from None
        with Run(database, user) as (db, u):
            new_id = ps.restore(db, u, data, replace=replace)
        typer.echo(say(lang, "cc_restored", id=str(new_id), file=file))

    guard(body, lang)


@ledger_app.command("demo")
def demo(
    database: DatabaseOpt = None,
    password_env: Annotated[
        str | None,
        typer.Option(
            "--password-env",
            metavar="VAR",
            help="Give the demo's users (sagsbehandler, afdelingschef, jobkonsulent, evaluator, "
            "investor, investor2) the password in this environment variable.",
        ),
    ] = None,
    lang: LangOpt = "da",
) -> None:
    """Load the synthetic IMPACT60-shaped partnership halfway through its term (demo data:
    synthetic CPR numbers only), with its parties as organisations and users."""

    def body() -> None:
        import os

        from socialinvest.service.partnership_demo import load_demo_partnership
        from socialinvest.web.security import hash_password

        hashed = None
        if password_env:
            value = os.environ.get(password_env)
            if not value:
                raise InputError(
                    msg("cc_e_password_env"), field="--password-env", value=password_env
                )
            hashed = hash_password(value)
        with Run(database, None) as (db, _):
            if hashed is None:
                new_id, created = load_demo_partnership(db)
            else:
                new_id, created = load_demo_partnership(db, hashed)
        typer.echo(say(lang, "cc_demo_loaded" if created else "cc_demo_there", id=str(new_id)))

    guard(body, lang)


@ledger_app.command("amend")
def amend(
    partnership: PartnershipOpt,
    user: UserOpt,
    effective: Annotated[
        int,
        typer.Option(
            "--from", help="The first settlement period it prices (after the approved ones)."
        ),
    ],
    reference: Annotated[
        str, typer.Option("--reference", help="The signed amendment document, e.g. 'Allonge 1'.")
    ],
    agreed_by: Annotated[
        list[str],
        typer.Option(
            "--agreed-by",
            help="An organisation that signed it; every provider and "
            "investor of the partnership; repeat.",
        ),
    ],
    price: Annotated[
        list[str] | None, typer.Option("--price", help="LINE=KRONER, the new price; repeat.")
    ] = None,
    person_cap: Annotated[
        float | None, typer.Option("--person-cap", help="The new cap per person (kr.).")
    ] = None,
    contract_cap: Annotated[
        float | None, typer.Option("--contract-cap", help="The new cap of the contract (kr.).")
    ] = None,
    intake: Annotated[
        str | None, typer.Option("--intake", help="The planned intake per cohort, e.g. 40,40,40.")
    ] = None,
    periods: Annotated[
        int | None, typer.Option("--periods", help="A new duration: refused (see the docs).")
    ] = None,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
    lang: LangOpt = "da",
) -> None:
    """The payer enters an agreed, dated amendment of the terms; settlements from --from on
    are priced by it, approved ones never change."""

    def body() -> None:
        from socialinvest.service import amendments as amend_service

        prices = _prices(price)
        planned = None
        if intake is not None:
            try:
                planned = [int(x) for x in intake.split(",")]
            except ValueError:
                raise InputError(msg("cc_e_intake_list"), field="--intake", value=intake) from None
        with Run(database, user) as (db, u):
            out = amend_service.amend(
                db,
                partnership,
                u,
                effective=effective,
                reference=reference,
                agreed_by=agreed_by,
                prices=prices,
                person_cap=person_cap,
                contract_cap=contract_cap,
                planned_intake=planned,
                periods=periods,
                role=role,
            )
        _out(
            out,
            fmt,
            say(
                lang,
                "cc_amended",
                amendment=str(out["amendment"]),
                period=int(out["effective"]),
            ),
        )

    guard(body, lang, fmt)


def _participant_command(action: str, doc: str) -> None:
    def command(
        participant: Annotated[int, typer.Argument(help="The participant's ledger id.")],
        partnership: PartnershipOpt,
        user: UserOpt,
        date: Annotated[
            str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")
        ] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why (an exit).")] = "",
        role: RoleOpt = None,
        fmt: FormatOpt = "text",
        database: DatabaseOpt = None,
        lang: LangOpt = "da",
    ) -> None:
        def body() -> None:
            import datetime as dt

            from socialinvest.service import amendments as amend_service

            day = None
            if date is not None:
                try:
                    day = dt.date.fromisoformat(date)
                except ValueError:
                    raise InputError(
                        msg("cc_e_date"), field="--date", value=_scrubbed(date)
                    ) from None
            with Run(database, user) as (db, u):
                out = amend_service.change_participant(
                    db, partnership, u, participant, action, day=day, reason=reason, role=role
                )
            _out(
                out,
                fmt,
                say(
                    lang,
                    "cc_participant_anonymised" if out.get("anonymised") else "cc_participant",
                    id=str(participant),
                    status=_word(lang, "cc_pstatus_", str(out["status"])),
                ),
            )

        guard(body, lang, fmt)

    command.__doc__ = doc
    ledger_app.command(action)(command)


def _word(lang: str, prefix: str, value: str) -> str:
    """A status word in ``lang`` from the catalogue (``prefix + value``); the value itself
    when the catalogue has no word for it."""
    from socialinvest.output.messages import has_text

    return say(lang, prefix + value) if value and has_text(lang, prefix + value) else value


# ledger verify's sentences (ledger/integrity.py, ledger/audit.py): "ENTITY: PROBLEM"
_INTEGRITY = {
    "is not in the audit trail": "cc_int_not_in_trail",
    "differs from its last audit record": "cc_int_differs_last",
    "is missing (created by an import)": "cc_int_missing_import",
    "is missing": "cc_int_missing",
    "is approved but its approval is not in the audit trail": "cc_int_approval_missing",
    "differs from the totals its approval recorded": "cc_int_totals_differ",
    "differs from its audit record": "cc_int_differs",
}
_CHAIN = (
    (
        re.compile(r"records after (\d+) are missing \(the chain ends early\)"),
        "cc_int_chain_truncated",
    ),
    (re.compile(r"record (\d+) is missing"), "cc_int_chain_missing"),
    (re.compile(r"record (\d+) was altered"), "cc_int_chain_altered"),
    (re.compile(r"record (\d+) was reordered"), "cc_int_chain_reordered"),
)


def _integrity(lang: str, entity: str | None, sentence: str) -> str:
    """``ledger verify``'s finding in ``lang``: the entity as the ledger names it (record:2),
    what is wrong from the catalogue; a sentence the catalogue does not know stays as it is."""
    if lang == "en" or entity is None or not sentence.startswith(entity + ": "):
        return sentence
    problem = sentence[len(entity) + 2 :]
    audit = re.fullmatch(r"audit record (\d+)", entity)
    shown = say(lang, "cc_int_audit_record", n=audit.group(1)) if audit else entity
    if problem in _INTEGRITY:
        return f"{shown}: {say(lang, _INTEGRITY[problem])}"
    for pattern, key in _CHAIN:
        found = pattern.fullmatch(problem)
        if found:
            return f"{shown}: {say(lang, key, n=found.group(1))}"
    return sentence


def _scrubbed(value: str) -> object:
    from socialinvest.service.partnerships import scrub

    return scrub(value)


_participant_command(
    "exit", "A participant leaves the programme (payer, or a provider as its data processor)."
)
_participant_command(
    "withdraw", "A participant withdraws: no outcome after the date may be recorded."
)
_participant_command(
    "anonymise",
    "Anonymise a participant on request: the pseudonym is replaced, every record stays.",
)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
