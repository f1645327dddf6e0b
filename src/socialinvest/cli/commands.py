"""The command line's commands (typer): `socialinvest run CASE`, `report`, `validate`, `new`,
`schema`, `knowledge list|show`, `sensitivity`, `compare`, … (the entry point is
:func:`socialinvest.cli.main`; `run`'s work is in :mod:`socialinvest.cli.run`).

User mistakes (a bad case file, an unknown knowledge-base ID, a bad option) print one sentence
to standard error and exit with code 2, never a traceback. Heavy modules (numpy, pydantic) are
imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from socialinvest.cli.run import Format, Lang, deliver, run_cases
from socialinvest.cli.run import console as _console
from socialinvest.errors import InputError, msg
from socialinvest.web.commands import register as register_web_commands
from socialinvest.web.ledger_commands import register as register_ledger_commands
from socialinvest.web.ledger_report_commands import statement as _ledger_statement  # noqa: F401

app = typer.Typer(
    name="socialinvest",
    help=(
        "Socio-economic business cases for social interventions (SØM's method), per actor "
        "(kommune, region, stat), budget area and year. Socialøkonomiske business cases for "
        "sociale indsatser efter SØM's metode."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
knowledge_app = typer.Typer(
    help="Browse the bundled Danish knowledge base (prices, rates, sources).",
    no_args_is_help=True,
)
app.add_typer(knowledge_app, name="knowledge")


@app.callback()
def _quiet_numbers() -> None:
    """Numpy's overflow and division warnings would add lines to a one-sentence error; every
    output is checked finite before it is written (socialinvest.finite), which names the input."""
    import warnings

    warnings.filterwarnings("ignore", category=RuntimeWarning)


def _fail(error: InputError, lang: str = "da") -> None:
    from socialinvest.output.messages import text

    typer.echo(text(lang, "err_prefix") + error.render(lang), err=True)
    raise typer.Exit(code=2)


CaseArgs = Annotated[
    list[Path],
    typer.Argument(
        metavar="CASE", help="One or more case files (YAML or JSON).", show_default=False
    ),
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language and number format: da or en.")]
DrawsOpt = Annotated[
    int,
    typer.Option(
        "--draws",
        "-n",
        min=1,
        help="Monte Carlo draws over every input given as a distribution (1: their means).",
    ),
]
AutoDrawsOpt = Annotated[
    int | None,
    typer.Option(
        "--draws",
        "-n",
        min=1,
        help="Monte Carlo draws (default: 10,000 when the case has anything uncertain, 1,000 "
        "for an outcome contract, else 1).",
        show_default=False,
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", "-s", min=0, help="Seed for a reproducible Monte Carlo run."),
]


@app.command()
def run(
    cases: CaseArgs,
    lang: LangOpt = Lang.da,
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="table (readable), json or csv.")
    ] = Format.table,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")
    ] = None,
    draws: DrawsOpt = 1,
    seed: SeedOpt = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Run the draws' chunks on this Dask scheduler (tcp://HOST:PORT); same result.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Run the draws' chunks on a local Dask cluster of N processes; same result.",
        ),
    ] = None,
) -> None:
    """Appraise business cases: net result per actor and year, NPV, break-even, return per krone."""
    run_cases(cases, lang, fmt, out, draws, seed, scheduler, workers)


def _deliver(
    content: str | bytes, out: Path | None, lang: str, inputs: list[Path] | None = None
) -> None:
    """Print ``content``, or write it to ``out`` all or nothing (a clear error if it cannot;
    never over one of the command's ``inputs``)."""
    deliver(content, out, lang, inputs, on_error=_fail)


@app.command()
def validate(
    cases: CaseArgs,
    lang: LangOpt = Lang.da,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Also list the inputs without a status (published, study, local, assumption) "
            "and exit with 1 when there are any.",
        ),
    ] = False,
) -> None:
    """Check case files and their knowledge-base references without printing results."""
    from socialinvest import service
    from socialinvest.output.messages import text

    incomplete = False
    for path in cases:
        try:
            case = service.validate(path).case  # resolves every reference, price year and unit
        except InputError as error:
            _fail(error, lang.value)
            return
        if strict:
            items, unknown = service.input_statuses(case)
            missing = [item.path for item in items if item.status is None]
            if missing:
                typer.echo(
                    text(
                        lang.value,
                        "n_strict_missing",
                        file=path,
                        count=len(missing),
                        paths=", ".join(missing),
                    )
                )
            if unknown:
                typer.echo(
                    text(lang.value, "n_strict_unknown", file=path, paths=", ".join(unknown))
                )
            incomplete = incomplete or bool(missing or unknown)
        typer.echo(
            text(
                lang.value,
                "valid",
                file=path,
                name=case.name,
                cohorts=len(case.target_group.cohorts),
                consequences=len(case.consequences)
                + len(case.state_transition.consequences if case.state_transition else []),
            )
        )
    if incomplete:
        raise typer.Exit(code=1)


@app.command()
def new(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write the template (default: the screen).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented case template to start from."""
    from socialinvest import service

    template = service.case_template()
    if file is None:
        sys.stdout.write(template)
        return
    if file.exists() and not force:
        _fail(InputError(msg("c_new_exists"), file=str(file), has_value=False))
    from socialinvest.output.files import write_output

    try:
        write_output(file, template)
    except InputError as error:
        _fail(error)
    typer.echo(f"Wrote {file}. Edit it, then: socialinvest run {file}", err=True)


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of case files (for editor completion and validation)."""
    from socialinvest import service

    _print_or_write(service.case_schema_json(), out)


def _print_or_write(content: str, out: Path | None) -> None:
    """``content`` on standard output, or written to ``out`` (a mistake: one sentence, exit 2)."""
    if out is None:
        sys.stdout.write(content)
        return
    from socialinvest.output.files import write_output

    try:
        write_output(out, content)
    except InputError as error:
        _fail(error)


@knowledge_app.command("list")
def knowledge_list(
    lang: LangOpt = Lang.da,
    kind: Annotated[
        str | None, typer.Option(help="Only this kind (the kinds are listed under the table).")
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="Only this area (the areas are listed under the table).")
    ] = None,
) -> None:
    """List every entry, effect study and consequence profile with its newest value, status and
    source (tab-separated and in full when written to a file or a pipe)."""
    _knowledge_listing(lang, kind, area, None)


@knowledge_app.command("search")
def knowledge_search(
    word: Annotated[
        str,
        typer.Argument(metavar="WORD", help="Word(s) to find in IDs and labels (Danish, English)."),
    ],
    lang: LangOpt = Lang.da,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    area: Annotated[str | None, typer.Option(help="Only this area.")] = None,
) -> None:
    """Find entries, studies and profiles whose ID or Danish or English label contains WORD."""
    _knowledge_listing(lang, kind, area, word)


def _knowledge_listing(lang: Lang, kind: str | None, area: str | None, word: str | None) -> None:
    from socialinvest import service
    from socialinvest.output.knowledge_listing import show
    from socialinvest.output.messages import text

    try:
        found = service.knowledge_catalogue(kind, area, word)
    except InputError as error:
        _fail(error, lang.value)
        return
    if word is not None and not found:
        typer.echo(text(lang.value, "kb_nothing_found", word=word), err=True)
        raise typer.Exit(code=1)
    version = service.knowledge_base().version
    show(found, lang.value, text(lang.value, "kb_title", version=version, count=len(found)))


@knowledge_app.command("sources")
def knowledge_sources(out: OutOpt = None) -> None:
    """Write docs/knowledge-sources.md: every value with its source and status, the counts, the
    effect library, the consequence profiles and the known gaps."""
    from socialinvest import service

    _print_or_write(service.knowledge_sources(), out)


@knowledge_app.command("show")
def knowledge_show(
    entry_id: Annotated[
        str, typer.Argument(metavar="ID", help="An entry ID from 'knowledge list'.")
    ],
    lang: LangOpt = Lang.da,
) -> None:
    """Show one entry: every dated value with its status and full reference."""
    from socialinvest import service
    from socialinvest.output.numbers import describe_value

    kb = service.knowledge_base()
    if entry_id.startswith(("effects/", "profiles/")):
        from socialinvest.output.knowledge_listing import describe_library_item

        described = describe_library_item(entry_id, lang.value)
        if described is not None:
            typer.echo(described)
            return
    try:
        entry = service.knowledge_entry(entry_id).entry
    except InputError as error:
        _fail(error, lang.value)
        return
    da = lang is Lang.da
    lines = [
        f"{entry_id}",
        f"  {entry.label.da if da else entry.label.en}",
        f"  kind: {entry.kind}   unit: {entry.unit}"
        + (f"   area: {entry.area}" if entry.area else "")
        + (f"   direction: {entry.direction or 'expense'}" if entry.kind == "unit_price" else "")
        + (f"   base: {entry.base}" if entry.base else ""),
    ]
    if entry.description:
        lines.append(f"  {entry.description.da if da else entry.description.en}")
    split = entry.actor_split
    if isinstance(split, service.ExplicitSplit):
        lines.append(
            f"  actor split: kommune {split.kommune:g}, region {split.region:g}, "
            f"stat {split.stat:g} [{split.status}] — {split.reference.title}"
        )
        if split.reference.note:
            lines.append(f"    note: {split.reference.note}")
    elif isinstance(split, service.ReimbursementSplit):
        s = kb.split(entry_id, entry.values[-1].valid_from.year)
        lines.append(
            f"  actor split: follows {split.reimbursement} at {split.weeks_on_support} "
            f"weeks on support → kommune {s.shares['kommune']:g}, stat {s.shares['stat']:g}"
            " (override per consequence with weeks_on_support)"
        )
    lines.append("  values:")
    for v in entry.values:
        ref = v.reference
        lines.append(
            f"    {v.valid_from.isoformat()}: {describe_value(v.value, lang.value)} {entry.unit} "
            f"[{v.status.upper() if v.status == 'assumption' else v.status}]"
        )
        lines.append(
            f"      source: {ref.title}" + (f" ({ref.publisher})" if ref.publisher else "")
        )
        if ref.url:
            lines.append(f"      url: {ref.url}")
        lines.append(f"      accessed: {ref.accessed.isoformat()}")
        if ref.note:
            lines.append(f"      note: {ref.note}")
    typer.echo("\n".join(lines))


class AnalysisFormat(StrEnum):
    table = "table"
    json = "json"


AnalysisFormatOpt = Annotated[
    AnalysisFormat, typer.Option("--format", "-f", help="table (readable) or json.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write to this file instead of the screen.")
]


def _emit_analysis(
    renderable: object,
    payload: dict[str, object],
    fmt: str,
    out: Path | None,
    lang: str,
    sources: list[object] | None = None,
    inputs: list[Path] | None = None,
) -> None:
    """Print or write (all or nothing) an analysis as a rich table or as JSON, once every
    number in it is finite (``sources``: the cases, to name the input that caused one)."""
    import io
    import json

    from socialinvest.finite import check_payload

    try:
        check_payload(payload, sources)
    except InputError as error:
        _fail(error, lang)

    if fmt == "json":
        content = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    elif out is None:
        _console().print(renderable)
        return
    else:
        buffer = io.StringIO()
        console = _console(buffer)
        console.width = 120
        console.print(renderable)
        content = buffer.getvalue()
    _deliver(content, out, lang, inputs)


@app.command()
def sensitivity(
    case: Annotated[Path, typer.Argument(help="A case file (YAML or JSON).", show_default=False)],
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="PATH[=LOW:HIGH]",
            help="An input to vary (repeat for several), e.g. success.rate_with=0.3:0.6; "
            "default: every input given as a distribution, at its 5th and 95th percentiles. "
            "A plain number needs LOW:HIGH.",
        ),
    ] = None,
    thresholds: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            "-t",
            metavar="PATH[=LOW:HIGH]",
            help="Find the value of this input at which the NPV (total and per actor) is 0, "
            "within LOW:HIGH (default: its distribution's 0.1-99.9 % interval).",
        ),
    ] = None,
    lang: LangOpt = Lang.da,
    fmt: AnalysisFormatOpt = AnalysisFormat.table,
    out: OutOpt = None,
) -> None:
    """One-way sensitivity (tornado) and threshold values of a case."""
    from socialinvest import service
    from socialinvest.output.analysis_tables import render_sensitivity

    try:
        chosen = dict(service.parse_range(spec, "--input") for spec in inputs or [])
        ranges = dict(service.parse_range(spec, "--threshold") for spec in thresholds or [])
        loaded_case = service.load(case)
        result = service.sensitivity(loaded_case, inputs=chosen or None, thresholds=ranges)
    except InputError as error:
        _fail(error, lang.value)
        return
    _emit_analysis(
        render_sensitivity(result, lang.value),
        result.to_dict(),
        fmt.value,
        out,
        lang.value,
        [loaded_case],
        [case],
    )


@app.command()
def compare(
    cases: Annotated[
        list[Path],
        typer.Argument(
            help="Case files of the alternatives (or one comparison file listing them).",
            show_default=False,
        ),
    ],
    draws: DrawsOpt = 1,
    seed: SeedOpt = None,
    with_do_nothing: Annotated[
        bool, typer.Option("--with-do-nothing", help="Add 'do nothing' (NPV 0) as an option.")
    ] = False,
    lang: LangOpt = Lang.da,
    fmt: AnalysisFormatOpt = AnalysisFormat.table,
    out: OutOpt = None,
    effect: Annotated[
        str,
        typer.Option(
            "--effect",
            help="The frontier's effect: successes, or an outcome every alternative declares "
            "(months in work, life years, QALYs, ...).",
        ),
    ] = "successes",
    cost: Annotated[
        str,
        typer.Option(
            "--cost",
            help="The frontier's cost: budget_costs (discounted costs), or an outcome (a "
            "health-economic model's cost).",
        ),
    ] = "budget_costs",
) -> None:
    """Compare alternatives: NPV, return per krone, ranking, efficiency frontier and ICERs on
    any declared outcome; with --draws (the same seed for every alternative) the probability
    of the highest NPV and the EVPI."""
    from socialinvest import service
    from socialinvest.output.analysis_tables import render_comparison

    try:
        name, loaded = service.load_alternatives(cases)
        result = service.compare(
            loaded,
            name=name,
            draws=draws,
            seed=seed,
            with_do_nothing=with_do_nothing,
            effect=effect,
            cost=cost,
        )
    except InputError as error:
        _fail(error, lang.value)
        return
    _emit_analysis(
        render_comparison(result, lang.value),
        result.to_dict(),
        fmt.value,
        out,
        lang.value,
        [case for _, case in loaded],
        [*cases, *(Path(case.file) for _, case in loaded)],
    )


@app.command()
def contract(
    case: Annotated[
        Path, typer.Argument(help="A case file with a 'contract' section.", show_default=False)
    ],
    lang: LangOpt = Lang.da,
    fmt: AnalysisFormatOpt = AnalysisFormat.table,
    out: OutOpt = None,
    draws: AutoDrawsOpt = None,
    seed: SeedOpt = None,
    indigo: Annotated[
        Path | None,
        typer.Option(
            "--indigo",
            help="Also write the terms, planned payments and results as INDIGO JSON to this file.",
        ),
    ] = None,
) -> None:
    """Outcome contract: every party's cash flows, investor returns and risk, payers' payments
    against their own gains, break-even success rates, and the designer's price."""
    from socialinvest import service
    from socialinvest.output.contract_table import render_contract
    from socialinvest.output.progress import DelayedProgress

    existed = False
    try:
        loaded = service.load(case)
        with DelayedProgress(case.name) as progress:
            result = service.contract(loaded, draws=draws, seed=seed, progress=progress.update)
        from socialinvest.finite import check_payload

        summary = result.to_dict()
        check_payload(summary, [loaded])  # before the INDIGO file is written
        if indigo is not None:
            from socialinvest.output.files import check_target, write_output

            if out is not None:
                check_target(out, [case, indigo])  # the main output is neither input nor INDIGO
            existed = indigo.exists()
            write_output(indigo, service.indigo_export_json(result), [case])
    except InputError as error:
        _fail(error, lang.value)
        return
    view = render_contract(result, lang.value, summary) if fmt.value == "table" else None
    try:
        _emit_analysis(view, summary, fmt.value, out, lang.value, [loaded], [case])
    except typer.Exit:
        # the main output could not be written: take back a new INDIGO file (all or nothing)
        if indigo is not None and not existed:
            indigo.unlink(missing_ok=True)
        raise


@app.command("indigo-import")
def indigo_import(
    document: Annotated[
        Path, typer.Argument(help="An INDIGO project document (JSON).", show_default=False)
    ],
    case: Annotated[
        Path, typer.Argument(help="The business case to put the deal on.", show_default=False)
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The case file with the contract to write.")
    ],
    period: Annotated[
        str | None, typer.Option(help="Contract period: week, month, quarter or year.")
    ] = None,
    start_date: Annotated[
        str | None, typer.Option(help="Move the deal's term to this date (YYYY-MM-DD).")
    ] = None,
    states: Annotated[
        str | None,
        typer.Option(help="States of the case's model an outcome counts, comma-separated."),
    ] = None,
    metrics: Annotated[
        Path | None,
        typer.Option(help="YAML: per INDIGO outcome metric id, the contract metric's fields."),
    ] = None,
    payer_actor: Annotated[
        str, typer.Option(help="Whose gains a payer sets its payments against.")
    ] = "kommune",
    exchange_rate: Annotated[
        list[str] | None,
        typer.Option(help="Kroner per unit of a currency, e.g. GBP=8.7 (an assumption)."),
    ] = None,
    lang: LangOpt = Lang.da,
) -> None:
    """Load a published deal's terms from INDIGO JSON onto a business case, to stress-test it
    with `socialinvest contract`. Every term INDIGO does not give is listed as an assumption."""
    import datetime as dt

    from socialinvest import service

    try:
        rates = dict(service.parse_exchange_rate(item) for item in exchange_rate or [])
        start = None
        if start_date is not None:
            try:
                start = dt.date.fromisoformat(start_date)
            except ValueError:
                raise InputError(msg("c_date"), field="--start-date", value=start_date) from None
        text_out = service.indigo_import(
            document,
            case,
            metrics=metrics,
            states=[x.strip() for x in states.split(",")] if states else None,
            period=period,
            start_date=start,
            payer_actor=payer_actor,
            exchange_rates=rates or None,
            result_name=str(out),
        )
    except InputError as error:
        _fail(error, lang.value)
        return
    _deliver(text_out, out, lang.value, [document, case, *([metrics] if metrics else [])])


REPORT_FORMATS = ("html", "pdf", "xlsx")


def _report_format(fmt: str | None, out: Path | None) -> str:
    """The report's format: as given, else from --out's suffix, else html."""
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    if fmt is None:
        if out is not None and suffix not in REPORT_FORMATS:
            raise InputError(msg("c_report_suffix"), field="--out", value=str(out))
        return suffix if suffix in REPORT_FORMATS else "html"
    chosen = fmt.strip().lower()
    if chosen not in REPORT_FORMATS:
        raise InputError(msg("c_report_format"), field="--format", value=fmt)
    if suffix in REPORT_FORMATS and suffix != chosen:
        raise InputError(msg("c_report_match", format=chosen), field="--out", value=str(out))
    return chosen


@app.command()
def report(
    case: Annotated[Path, typer.Argument(help="A case file (YAML or JSON).", show_default=False)],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="html|pdf|xlsx",
            help="html (one self-contained file), pdf (A4) or xlsx (live formulas); "
            "default: from --out's suffix, else html.",
            show_default=False,
        ),
    ] = None,
    lang: LangOpt = Lang.da,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="The file to write (default: the case file's name with the format's suffix, "
            "in the current folder).",
        ),
    ] = None,
    draws: AutoDrawsOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Write a report of a business case for decision makers: summary in plain words, key
    figures, assumptions with sources, the yearly table, charts and (with --draws) uncertainty."""
    try:
        chosen = _report_format(fmt, out)
        target = out if out is not None else Path(case.stem + "." + chosen)
        from socialinvest import service

        content = service.report(
            service.load(case), chosen, lang=lang.value, draws=draws, seed=seed
        )
    except InputError as error:
        _fail(error, lang.value)
        return
    _deliver(content, target, lang.value, [case])


register_web_commands(app)  # serve, db upgrade, users create, demo load
register_ledger_commands(app)  # ledger create | enrol | import | … (running partnerships)


def _app_for(argv: list[str]) -> typer.Typer:
    """The application to run for ``argv``: for one of this module's own commands, a copy that
    holds only that command (typer reads every command's signature and type hints when it
    builds the command line, about 0.1 s for the thirty commands of the full application);
    for anything else (help, the knowledge, web and ledger groups) the full application."""
    import copy

    name = argv[1] if len(argv) > 1 else ""

    def named(info: typer.models.CommandInfo) -> str:
        callback = info.callback
        return info.name or (callback.__name__.replace("_", "-") if callback else "")

    own = [info for info in app.registered_commands if named(info) == name]
    if len(own) != 1 or app.registered_callback is None:  # a callback keeps it a group
        return app
    small = copy.copy(app)
    small.registered_commands = own
    small.registered_groups = []
    return small


def main() -> None:
    """The command line through typer (:func:`socialinvest.cli.main` runs a plain `run`
    itself)."""
    from socialinvest.process import keep_freed_memory, pin_environment

    pin_environment()  # one OpenBLAS thread unless the user chose one (numpy is not loaded yet)
    if sys.argv[1:2] != ["serve"]:  # a command that computes and exits, not the web server
        keep_freed_memory()  # large arrays reuse freed memory instead of fresh pages
    click = _click_errors()
    try:
        code = _app_for(sys.argv)(
            args=sys.argv[1:], prog_name="socialinvest", standalone_mode=False
        )
    except InputError as error:  # pragma: no cover - commands catch their own
        typer.echo(f"error: {error.message}", err=True)
        raise SystemExit(2) from None
    except click.NoArgsIsHelpError as error:  # a group named without a command: its help
        error.show()
        raise SystemExit(error.exit_code) from None
    except click.UsageError as error:  # the parser's, before a command runs
        lang = _lang_of(sys.argv[1:])
        from socialinvest.output.messages import text

        typer.echo(text(lang, "err_prefix") + _usage_sentence(error, sys.argv[1:], lang), err=True)
        raise SystemExit(2) from None
    except click.ClickException as error:  # pragma: no cover - e.g. a file error
        error.show()
        raise SystemExit(error.exit_code) from None
    except typer.Abort:  # Ctrl-C or the end of input at a prompt
        from socialinvest.output.messages import text

        typer.echo(text(_lang_of(sys.argv[1:]), "us_aborted"), err=True)
        raise SystemExit(1) from None
    # without the parser's standalone mode, an exit code comes back as the return value
    if isinstance(code, int) and not isinstance(code, bool) and code != 0:
        raise SystemExit(code)


def _click_errors() -> Any:
    """The parser's exception classes: typer 0.29 and later carry their own copy of click."""
    try:
        from typer._click import exceptions
    except ImportError:  # pragma: no cover - an older typer uses click itself
        from click import exceptions
    return exceptions


def _lang_of(args: list[str]) -> str:
    """The language the command line asked for (``--lang en`` or ``--lang=en``), else Danish."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return "en" if args[i + 1] == "en" else "da"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "da"
    return "da"


def _given(args: list[str], opts: list[str]) -> str | None:
    """The value given on the command line to an option named ``opts`` (the last one given)."""
    found = None
    for i, arg in enumerate(args):
        for opt in opts:
            if arg == opt and i + 1 < len(args):
                found = args[i + 1]
            elif opt.startswith("--") and arg.startswith(opt + "="):
                found = arg.split("=", 1)[1]
    return found


def _expected(annotation: Any, command: str) -> Any:
    """What an option of this Python type expects, in words of the catalogues."""
    import enum
    import types
    import typing

    from socialinvest.errors import Joined

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = args[0] if len(args) == 1 else annotation
    elif typing.get_origin(annotation) is list and args:
        annotation = args[0]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return msg("t_one_of", expected=Joined(tuple(str(m.value) for m in annotation), "or"))
    if annotation is int:
        return msg("t_whole_number")
    if annotation is float:
        return msg("t_number")
    return msg("us_valid_value", command=command)


def _command_of(args: list[str]) -> tuple[str, Any]:
    """The (sub)command the arguments name ("ledger status") and its parser object."""
    import typer.main

    node: Any = typer.main.get_command(app)
    path: list[str] = []
    for arg in args:
        commands = getattr(node, "commands", None)
        if not commands or arg not in commands:
            break
        node = commands[arg]
        path.append(arg)
    return " ".join(path), (node if path else None)


def _usage_sentence(error: Any, args: list[str], lang: str) -> str:
    """A usage mistake the parser found (a value of the wrong type, an unknown option, a missing
    argument) as one sentence in ``lang`` naming the option, the value given (never a CPR-like
    number) and what is expected, instead of the parser's usage block."""
    import re

    from socialinvest.errors import scrub  # not service.partnerships: 0.6 s of imports

    click = _click_errors()
    command, found = _command_of(args)
    param = getattr(error, "param", None)
    if param is None and isinstance(error, click.BadOptionUsage) and found is not None:
        param = next((p for p in found.params if error.option_name in p.opts), None)
    is_option = param is not None and any(o.startswith("-") for o in param.opts)
    field = "?"
    if param is not None:
        field = param.opts[0] if is_option else str(param.metavar or param.name).upper()
    if isinstance(error, click.NoSuchOption):
        return msg("us_no_such_option", option=scrub(error.option_name), command=command).render(
            lang
        )
    if isinstance(error, click.MissingParameter):
        return msg("us_missing", field=field, command=command).render(lang)
    descriptor = getattr(param, "type_descriptor", None)
    expected = _expected(getattr(descriptor, "annotation", None), command)
    if isinstance(error, click.BadOptionUsage):  # an option without its value
        return InputError(expected, field=error.option_name, has_value=False).render(lang)
    if isinstance(error, click.BadParameter) and param is not None:
        value = _given(args, list(param.opts) + list(param.secondary_opts)) if is_option else None
        if value is None:
            return InputError(expected, field=field, has_value=False).render(lang)
        return InputError(expected, field=field, value=scrub(value)).render(lang)
    extra = re.match(r"Got unexpected extra arguments? \((.*)\)", error.message)
    if extra:
        return msg("us_extra", value=scrub(extra.group(1)), command=command).render(lang)
    unknown = re.match(r"No such command '(.*)'", error.message)
    if unknown:
        return msg("us_no_such_command", value=scrub(unknown.group(1))).render(lang)
    return msg("us_usage", problem=scrub(error.message), command=command).render(lang)


if __name__ == "__main__":
    main()
