"""``socialinvest knowledge list`` and ``knowledge search``: a table on a terminal, and
tab-separated lines with every column in full (nothing cut) when written to a file or a pipe."""

from __future__ import annotations

import sys
from typing import IO

from socialinvest.knowledge.catalogue import Row, areas, kinds
from socialinvest.output.messages import text

TSV_COLUMNS = ("id", "kind", "area", "label", "value", "unit", "year", "status", "source", "url")


def filters_line(lang: str) -> str:
    """The kinds and areas the listing can be filtered on."""
    return text(lang, "kb_filters", kinds=", ".join(kinds()), areas=", ".join(areas()))


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def value_text(row: Row, lang: str, plain: bool = False) -> str:
    """A row's value for readers: numbers in the language's format (``plain``: as written in the
    data, for machines), schedules band by band."""
    from socialinvest.output.numbers import describe_value, number

    value = row.value
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        if plain:
            return (
                f"{value:g}"
                if isinstance(value, float) and not value.is_integer()
                else str(int(value))
            )
        return number(float(value), lang, 2 if abs(value) < 10 else 0)
    if isinstance(value, list):
        return describe_value(value, lang)
    return str(value)


def write_tsv(items: list[Row], lang: str, out: IO[str]) -> None:
    """One header line and one line per item, columns separated by tabs, nothing shortened."""
    out.write("\t".join(TSV_COLUMNS) + "\n")
    for r in items:
        source = r.source + (f" ({r.publisher})" if r.publisher else "")
        cells = (
            r.id,
            r.kind,
            r.area,
            r.label(lang),
            value_text(r, lang, plain=True),
            r.unit,
            r.year,
            text(lang, f"status_{r.status}"),
            source,
            r.url,
        )
        out.write("\t".join(_clean(c) for c in cells) + "\n")


def print_table(items: list[Row], lang: str, title: str) -> None:
    """A rich table for a terminal (the source column wraps, it is not cut)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title, title_justify="left", caption=filters_line(lang), caption_justify="left"
    )
    table.add_column(f"ID / {text(lang, 'entry')}", overflow="fold", ratio=3)
    table.add_column(text(lang, "value"), justify="right", overflow="fold", ratio=1)
    table.add_column(text(lang, "status"), no_wrap=True)
    table.add_column(text(lang, "source"), overflow="fold", ratio=3)
    for r in items:
        status = text(lang, f"status_{r.status}")
        table.add_row(
            Text.assemble((r.id, "bold"), "\n", r.label(lang)),
            f"{value_text(r, lang)}\n{r.unit}" + (f" ({r.year})" if r.year else ""),
            Text(status, style="bold red") if r.status == "assumption" else status,
            r.source + (f" ({r.publisher})" if r.publisher else ""),
        )
    # markup and emoji codes off: a local price's label is printed as written
    Console(highlight=False, markup=False, emoji=False).print(table)


def show(items: list[Row], lang: str, title: str, out: IO[str] | None = None) -> None:
    """A table on a terminal; tab-separated lines in full otherwise."""
    stream = out or sys.stdout
    if out is None and stream.isatty():
        print_table(items, lang, title)
    else:
        write_tsv(items, lang, stream)
        if out is None:  # the filters go to the screen, the data to the file or pipe
            sys.stderr.write(filters_line(lang) + "\n")


def describe_library_item(item_id: str, lang: str) -> str | None:
    """``knowledge show`` for an effect study (``effects/ID``) or a consequence profile
    (``profiles/ID``): every field with its reference; ``None`` if there is no such item."""
    from socialinvest.knowledge.effects import default_effect_library, success_rates
    from socialinvest.knowledge.profiles import default_profile_library
    from socialinvest.knowledge.schema import Text

    da = lang == "da"
    kind, _, name = item_id.partition("/")
    lines: list[str] = [item_id]
    if kind == "effects":
        library = default_effect_library()
        if name not in library:
            return None
        st = library.study(name)
        e = st.effect

        def pick(t: Text) -> str:
            return t.da if da else t.en

        lines += [
            f"  {pick(st.label)}",
            f"  kind: effect_study   design: {st.design}   country: {st.country}"
            + (f"   participants: {st.participants}" if st.participants else ""),
            f"  intervention: {pick(st.intervention)}",
            f"  population: {pick(st.population)}",
            f"  outcome: {pick(st.outcome)} ({st.follow_up_months:g} months)"
            + ("  [adverse outcome: success is its absence]" if st.outcome_is_adverse else ""),
        ]
        if st.rate_with is not None:
            lines.append(f"  rates: with {st.rate_with:g}, without {st.rate_without:g}")
        interval = (
            f", {int(e.ci_level * 100)} % CI {e.ci_low:g} to {e.ci_high:g}"
            if e.ci_low is not None
            else ", no confidence interval published"
        )
        lines.append(f"  effect: {e.measure.replace('_', ' ')} {e.estimate:g}{interval}")
        if e.note:
            lines.append(f"    note: {' '.join(e.note.split())}")
        if st.rate_with is not None:
            r = success_rates(st)
            spread = f" (beta, sd {r.sd_with:.4f})" if r.sd_with else " (fixed: no interval)"
            lines.append(
                f"  a case with from_study: {name} gets rate_with {r.rate_with:g}{spread}, "
                f"rate_without {r.rate_without:g}"
            )
        else:
            lines.append(
                f"  a case with from_study: {name} gives its own rate_without; the effect is "
                "applied to it"
            )
        ref = st.reference
        lines.append(
            f"  [{st.status}] source: {' '.join(ref.title.split())}"
            + (f" ({ref.publisher})" if ref.publisher else "")
        )
        if ref.url:
            lines.append(f"      url: {ref.url}")
        lines.append(f"      accessed: {ref.accessed.isoformat()}")
        if ref.note:
            lines.append(f"      note: {' '.join(ref.note.split())}")
        return "\n".join(lines)
    if kind == "profiles":
        profiles = default_profile_library()
        if name not in profiles.ids():
            return None
        pr = profiles.profile(name)

        def pick_text(t: Text) -> str:
            return t.da if da else t.en

        pick = pick_text
        lines += [
            f"  {pick(pr.label)}",
            f"  kind: consequence_profile   horizon: {pr.horizon_years} years",
            f"  target group: {pick(pr.target_group)}",
            f"  success: {pick(pr.success)}",
        ]
        if pr.description:
            lines.append(f"  {' '.join(pick(pr.description).split())}")
        for item in pr.items:
            amount = (
                f"per year {', '.join(f'{x:g}' for x in item.per_year)}"
                if item.per_year
                else f"total {item.total:g} over {pr.horizon_years} years"
            )
            lines.append(
                f"  - {pick(item.label)}: {amount} {item.unit or ''}".rstrip()
                + (f" (priced by {item.ref})" if item.ref else "")
                + f" [{item.status}]"
            )
            ref = item.reference
            lines.append(
                f"      source: {ref.title}" + (f" ({ref.publisher})" if ref.publisher else "")
            )
            if ref.url:
                lines.append(f"      url: {ref.url}")
        return "\n".join(lines)
    return None
