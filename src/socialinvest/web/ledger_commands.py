"""``socialinvest ledger …``: running partnerships from the command line (docs/ledger.md).

The same rules as the web: every command acts as a user of the web application (``--user``),
whose organisation's partnership role decides what they may do and see; the operations are the
service's (``service.partnerships``), each one transaction. Output is text or JSON
(``--format json``); a mistake is one sentence on standard error and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from socialinvest.errors import InputError
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


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _out(value: Any, fmt: str, text: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    elif fmt == "text":
        typer.echo(text)
    else:
        _fail(f"--format: '{fmt}' is not a format; expected text or json.")


class _Run:
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
                raise InputError(
                    "an active user of this database", field="--user", value=self.username
                )
        return self.db, user

    def __exit__(self, *exc: object) -> None:
        self.db.close()
        self.engine.dispose()


def _guard(fn: Any) -> Any:
    """Run a command body; InputError, and a partnership the user may not see, are one sentence."""
    from socialinvest.service.partnerships import NotFound

    try:
        return fn()
    except NotFound as missing:
        _fail(
            f"--partnership: no partnership {missing.args[0]} that your organisation is a party to."
        )
    except InputError as error:
        _fail(error.message)
    return None


# for the ledger's other command modules (web/ledger_report_commands.py)
Run = _Run
guard = _guard


def _read_bytes(file: Path, field: str) -> bytes:
    try:
        return file.read_bytes()
    except OSError:
        raise InputError("a readable file", field=field, value=str(file)) from None


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        if "=" not in v:
            raise InputError("NAME=VALUE", field=option, value=v)
        a, b = v.split("=", 1)
        out.append((a.strip(), b.strip()))
    return out


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
) -> None:
    """Create a partnership from an approved case version with a contract section."""

    def body() -> None:
        from socialinvest.service import partnerships as ps
        from socialinvest.store import users as user_store
        from socialinvest.store.models import Case

        with _Run(database, user) as (db, u):
            c = db.get(Case, case)
            if c is None or c.organisation_id != u.organisation_id:
                raise InputError("a case of your organisation", field="--case", value=case)
            parties = []
            for org_name, role in _pairs(party, "--party"):
                org = user_store.organisations(db)
                match = next((o for o in org if o.name == org_name), None)
                if match is None:
                    raise InputError(
                        "an organisation of this database", field="--party", value=org_name
                    )
                parties.append((match, role))
            prices = {}
            for line, value in _pairs(price or [], "--price"):
                try:
                    prices[line] = float(value)
                except ValueError:
                    raise InputError("a number of kroner", field="--price", value=value) from None
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
        _out({"partnership": new_id, "key": key}, fmt, f"partnership {new_id} ({key}) created")

    _guard(body)


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
) -> None:
    """Enrol citizens from a file: all of them or none."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        data = _read_bytes(file, "--file")
        rows = ps.read_enrolments(str(file), data)
        with _Run(database, user) as (db, u):
            ids = ps.enrol_many(db, partnership, u, rows, role=role)
        _out(
            {"enrolled": len(ids), "participants": ids}, fmt, f"{len(ids)} participant(s) enrolled"
        )

    _guard(body)


@ledger_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX of outcome records.")],
    partnership: PartnershipOpt,
    user: UserOpt,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
) -> None:
    """Import outcome records: all or nothing; the same file twice changes nothing."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        data = _read_bytes(file, "FILE")
        with _Run(database, user) as (db, u):
            out = ps.import_outcomes(db, partnership, u, file.name, data, role=role)
        text = (
            f"{file.name}: already imported, nothing changed"
            if out.get("already_imported")
            else f"{file.name}: {out['created']} record(s) created, "
            f"{len(out['flagged_for_evaluator'])} flagged for the evaluator, "
            f"{out.get('unchanged', 0)} unchanged"
        )
        _out(out, fmt, text)

    _guard(body)


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
) -> None:
    """The evaluator verifies or rejects records, or draws a sample to verify."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with _Run(database, user) as (db, u):
            if sample is not None:
                out: Any = ps.draw_sample(db, partnership, u, sample, seed, through, role=role)
                text = (
                    f"sample {out['sample']}: {len(out['sampled'])} of "
                    f"{out['population']} record(s): " + ", ".join(str(x) for x in out["sampled"])
                )
            else:
                if not record:
                    raise InputError(
                        "--record ID (one or more) or --sample N", field="--record", has_value=False
                    )
                decision = "reject" if reject else "verify"
                out = ps.decide(db, partnership, u, record, decision, reason, role=role)
                text = "\n".join(f"record {x['record']}: {x['status']}" for x in out)
        _out(out, fmt, text)

    _guard(body)


@ledger_app.command("settle")
def settle(
    partnership: PartnershipOpt,
    user: UserOpt,
    period: Annotated[int, typer.Option("--period", help="The settlement period (1 = the first).")],
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve and lock it (payer).")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="da or en, for the explanations.")] = "en",
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
) -> None:
    """Show a settlement's statement (drafted from the verified outcomes), or approve it."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with _Run(database, user) as (db, u):
            if approve:
                out = ps.approve(db, partnership, u, period, role=role)
                text = f"settlement {period} approved: " + ", ".join(
                    f"{k} pays DKK {v:,.2f}" for k, v in out["totals"].items()
                )
            else:
                ctx = ps.read(db, partnership, u, role, prefer=("payer", "evaluator"))
                out = ps.statement_view(ctx, period, lang)
                lines = [f"settlement {period} ({out.get('status')})"]
                lines += [f"{k}: DKK {v['total']:,.2f}" for k, v in out["payers"].items()]
                lines += [x["text"] for x in out.get("explained", [])]
                text = "\n".join(lines)
        _out(out, fmt, text)

    _guard(body)


@ledger_app.command("status")
def status(
    partnership: PartnershipOpt,
    user: UserOpt,
    as_of: Annotated[int | None, typer.Option("--as-of", help="The period (default: now).")] = None,
    role: RoleOpt = None,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
) -> None:
    """Enrolment against plan, outcomes, payments and balances (counts suppressed when small)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        if as_of is not None and as_of < 1:
            raise InputError(
                "a contract period of 1 or more (the default: the current period)",
                field="--as-of",
                value=as_of,
            )
        with _Run(database, user) as (db, u):
            out = ps.status_view(ps.read(db, partnership, u, role), as_of)
        e = out["enrolment"]
        text = (
            f"{out['partnership']['name']} at period {out['as_of_period']}: "
            f"{e['enrolled']} enrolled of {e['planned_to_date']} planned to date "
            f"({e['planned_total']} in all); records {out['records']}; paid "
            + ", ".join(f"{k} DKK {v:,.2f}" for k, v in out["payments"]["paid"].items())
        )
        _out(out, fmt, text)

    _guard(body)


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
) -> None:
    """Re-forecast from what has been observed: P(target), payments, every party's position."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with _Run(database, user) as (db, u):
            out = ps.forecast_view(
                ps.read(db, partnership, u, role), draws=draws, seed=seed, target_rate=target
            )
        rate = out["success_rate"]
        pay = out["outcome_payments"]
        text = (
            f"success rate: design {rate['prior']['mean']:.3f}, "
            f"updated {rate['updated']['mean']:.3f}; "
            f"expected payments: design DKK {pay['design']['mean']:,.0f}, "
            f"forecast DKK {pay['forecast']['mean']:,.0f}"
        )
        if "prob_target" in out:
            text += f"; P(target) {out['prob_target']['forecast']:.2f}"
        _out(out, fmt, text)

    _guard(body)


@ledger_app.command("verify")
def verify(
    partnership: PartnershipOpt,
    fmt: FormatOpt = "text",
    database: DatabaseOpt = None,
) -> None:
    """Check the audit chain and every row against it; names the first that does not fit."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with _Run(database, None) as (db, _):
            ok, entity, sentence = ps.verify_integrity(db, partnership)
        _out({"ok": ok, "entity": entity, "message": sentence}, fmt, sentence)
        if not ok:
            raise typer.Exit(code=1)

    _guard(body)


@ledger_app.command("backup")
def backup(
    partnership: PartnershipOpt,
    output: Annotated[Path, typer.Option("--output", "-o", help="The backup file (JSON).")],
    database: DatabaseOpt = None,
) -> None:
    """Write a whole partnership to a JSON file (no CPR number, no key)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        with _Run(database, None) as (db, _):
            data = ps.backup(db, partnership)
        tmp = output.with_name(output.name + ".part")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(output)
        except OSError:  # a folder, a missing folder, no permission: one sentence
            tmp.unlink(missing_ok=True)
            raise InputError(
                "a file that can be written", field="--output", value=str(output)
            ) from None
        typer.echo(f"partnership {partnership} written to {output}")

    _guard(body)


@ledger_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by 'ledger backup'.")],
    user: UserOpt,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a partnership with the same key.")
    ] = False,
    database: DatabaseOpt = None,
) -> None:
    """Read a partnership back from a backup (checked against its own audit chain first)."""

    def body() -> None:
        from socialinvest.service import partnerships as ps

        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError("a readable JSON backup file", field="FILE", value=str(file)) from None
        with _Run(database, user) as (db, u):
            new_id = ps.restore(db, u, data, replace=replace)
        typer.echo(f"partnership {new_id} restored from {file}")

    _guard(body)


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
                    "the name of an environment variable that holds the password",
                    field="--password-env",
                    value=password_env,
                )
            hashed = hash_password(value)
        with _Run(database, None) as (db, _):
            if hashed is None:
                new_id, created = load_demo_partnership(db)
            else:
                new_id, created = load_demo_partnership(db, hashed)
        typer.echo(
            f"demo partnership {new_id} loaded (synthetic data)"
            if created
            else f"demo partnership {new_id} is there already"
        )

    _guard(body)


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
) -> None:
    """The payer enters an agreed, dated amendment of the terms; settlements from --from on
    are priced by it, approved ones never change."""

    def body() -> None:
        from socialinvest.service import amendments as amend_service

        prices = {}
        for line, value in _pairs(price or [], "--price"):
            try:
                prices[line] = float(value)
            except ValueError:
                raise InputError("a number of kroner", field="--price", value=value) from None
        planned = None
        if intake is not None:
            try:
                planned = [int(x) for x in intake.split(",")]
            except ValueError:
                raise InputError(
                    "whole numbers separated by commas, e.g. 40,40,40",
                    field="--intake",
                    value=intake,
                ) from None
        with _Run(database, user) as (db, u):
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
            f"amendment {out['amendment']} in force from settlement period {out['effective']}",
        )

    _guard(body)


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
                        "a date as YYYY-MM-DD", field="--date", value=_scrubbed(date)
                    ) from None
            with _Run(database, user) as (db, u):
                out = amend_service.change_participant(
                    db, partnership, u, participant, action, day=day, reason=reason, role=role
                )
            _out(
                out,
                fmt,
                f"participant {participant}: {out['status']}"
                + (" (anonymised)" if out.get("anonymised") else ""),
            )

        _guard(body)

    command.__doc__ = doc
    ledger_app.command(action)(command)


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
