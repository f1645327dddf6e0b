"""The sheets of the XLSX report that hold values, not formulas (internal): the results of a
state-transition case, the Monte Carlo summaries and the one-way sensitivity."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from socialinvest.report.xlsx_cells import (
    BOLD,
    COUNT,
    FIRST_SERIES_COLUMN,
    KR,
    KR2,
    NUMBER,
    SHARE,
    TITLE,
    YEAR,
    Formula,
    Writer,
    header_row,
    put,
    series_widths,
)
from socialinvest.vocabulary import ACTORS

if TYPE_CHECKING:
    from socialinvest.analysis.sensitivity import Sensitivity
    from socialinvest.report.content import ContractView
    from socialinvest.result import Result


# -- values only: state-transition cases --------------------------------------------------------


def results_header(
    w: Writer, ws: Worksheet, result: Result, title: str, note: str, note_font: Any = None
) -> int:
    """The top of a Results sheet (title, case name, note, a column per actor and the total);
    returns the first row below the header."""
    ws.column_dimensions["A"].width = 52
    for column in "BCDE":
        ws.column_dimensions[column].width = 18
    put(ws, 1, 1, title, font=TITLE)
    put(ws, 2, 1, result.case.name)
    put(ws, 3, 1, note, font=note_font)
    who = [*ACTORS, "total"]
    header_row(
        ws,
        5,
        [(1, w.t("key_figures"))]
        + [(2 + i, w.actor(a) if a != "total" else w.t("x_col_total")) for i, a in enumerate(who)],
    )
    return 6


def value_or_dash(value: float | None) -> float | str:
    return "–" if value is None else value


def values_results(w: Writer, ws: Worksheet, result: Result) -> None:
    """Key figures per actor and in total, and per committee (a state-transition case)."""
    row = results_header(w, ws, result, w.t("x_sheet_results"), w.t("x_results_values"), BOLD)
    who = [*ACTORS, "total"]
    gains = result.discounted_gains_by_actor()
    costs = result.discounted_costs_by_actor()
    npv = result.npv_by_actor()
    rpk = result.return_per_krone_by_actor()
    be = result.break_even_year_by_actor()
    table: list[tuple[str, str, dict[str, Any]]] = [
        ("gains", KR, {**gains, "total": sum(gains.values())}),
        ("costs", KR, {**costs, "total": sum(costs.values())}),
        ("npv", KR, {**npv, "total": result.npv_total}),
        ("return_per_krone", NUMBER, {**rpk, "total": result.return_per_krone}),
        ("break_even_year", YEAR, {**be, "total": result.break_even_year}),
    ]
    for key, fmt, values in table:
        put(ws, row, 1, w.t(key))
        for i, a in enumerate(who):
            value = values[a]
            if key == "break_even_year" and value is None:
                value = w.t("x_no_break_even") if a == "total" else w.t("x_no_flows")
            put(ws, row, 2 + i, value_or_dash(value), fmt)
        row += 1
    committees = result.by_committee()
    if committees:
        row += 1
        header_row(ws, row, [(1, w.t("committee")), (2, w.t("x_committee_areas")), (5, w.t("npv"))])
        row += 1
        for item in committees:
            put(ws, row, 1, item["committee"] or w.t("not_mapped"))
            put(ws, row, 2, ", ".join(w.area(a) for a in item["areas"] or []))
            put(ws, row, 5, item["npv"], KR)
            row += 1


def values_yearly(w: Writer, ws: Worksheet, result: Result) -> None:
    """Gains, costs, net, discounted net and cumulative per actor and year (means over draws)."""
    ws.column_dimensions["A"].width = 40
    series_widths(ws, len(result.years), 14)
    put(ws, 1, 1, w.t("x_yearly_title"), font=TITLE)
    put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    header_row(
        ws,
        row,
        [(1, ""), (2, w.t("x_col_actor"))]
        + [(FIRST_SERIES_COLUMN + y, year) for y, year in enumerate(result.years)],
    )
    row += 1
    yearly = result.yearly_by_actor()
    cumulative = result.cumulative_by_actor()
    series = [
        ("x_gains_year", yearly["gains"]),
        ("x_costs_year", yearly["costs"]),
        ("x_net_year", yearly["net"]),
        ("x_disc_net_year", yearly["discounted_net"]),
        ("x_cumulative", cumulative),
    ]
    for k, actor in enumerate(ACTORS):
        for key, values in series:
            put(ws, row, 1, w.t(key))
            put(ws, row, 2, w.actor(actor))
            for y in range(len(result.years)):
                put(ws, row, FIRST_SERIES_COLUMN + y, float(values[k, y]), KR)
            row += 1
        row += 1
    put(ws, row, 1, w.t("x_cumulative"))
    put(ws, row, 2, w.t("x_col_total"))
    for y, value in enumerate(result.cumulative_total().tolist()):
        put(ws, row, FIRST_SERIES_COLUMN + y, value, KR)


def values_outcomes(w: Writer, ws: Worksheet, result: Result) -> None:
    """Outcomes per arm and their ratios (a state-transition case)."""
    table = result.outcome_table()
    assert table is not None
    ws.column_dimensions["A"].width = 40
    put(ws, 1, 1, w.t("outcomes_title"), font=TITLE)
    put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    header_row(
        ws,
        row,
        [
            (1, w.t("x_outcome")),
            (2, w.t("arm_comparator")),
            (3, w.t("x_arm_intervention")),
            (4, w.t("difference")),
        ],
    )
    row += 1
    for name, values in table["outcomes"].items():
        put(ws, row, 1, name)
        put(ws, row, 2, values["comparator"], NUMBER)
        put(ws, row, 3, values["intervention"], NUMBER)
        put(ws, row, 4, values["difference"], NUMBER)
        row += 1
    if table["ratios"]:
        row += 1
        header_row(ws, row, [(1, w.t("x_ratio")), (2, w.t("x_col_value"))])
        row += 1
        for name, ratio in table["ratios"].items():
            put(ws, row, 1, f"{name} ({ratio['numerator']} / {ratio['denominator']})")
            put(ws, row, 2, value_or_dash(ratio["value"]), NUMBER)
            row += 1


# -- Monte Carlo summaries (values) ----------------------------------------------------------------


def uncertainty_sheet(w: Writer, ws: Worksheet, result: Result) -> None:
    """The Monte Carlo summaries of :meth:`Result.uncertainty`."""
    u = result.uncertainty()
    assert u is not None
    ws.column_dimensions["A"].width = 46
    for column in "BCDEFG":
        ws.column_dimensions[column].width = 16
    put(ws, 1, 1, w.t("x_uncertainty_title", draws=u["draws"], seed=u["seed"]), font=TITLE)
    put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    row = 4
    columns = [
        ("mean", "u_mean"),
        ("sd", "x_sd"),
        ("p05", "u_p05"),
        ("p50", "u_p50"),
        ("p95", "u_p95"),
    ]

    def block(
        title: str,
        items: list[tuple[str, dict[str, Any] | None]],
        fmt: str,
        extra: tuple[str, str] | None,
    ) -> None:
        nonlocal row
        heads = [(1, title)] + [(2 + i, w.t(key)) for i, (_, key) in enumerate(columns)]
        if extra is not None:
            heads.append((2 + len(columns), w.t(extra[1])))
        header_row(ws, row, heads)
        row += 1
        for name, stats in items:
            if stats is None:
                continue
            put(ws, row, 1, name)
            for i, (key, _) in enumerate(columns):
                put(ws, row, 2 + i, value_or_dash(stats[key]), fmt)
            if extra is not None:
                put(ws, row, 2 + len(columns), stats[extra[0]], SHARE)
            row += 1
        row += 1

    actors = [(w.actor(a), u["by_actor"][a]) for a in ACTORS]
    involved = result.actors_involved()
    actors = [item for item, ok in zip(actors, involved, strict=True) if ok]
    block(
        w.t("npv"),
        [(w.t("x_col_total"), u["total"]), *actors],
        KR,
        ("prob_positive", "u_prob_positive"),
    )
    block(w.t("return_per_krone"), [(w.t("x_col_total"), u["return_per_krone"])], NUMBER, None)
    block(w.t("x_successes_row"), [(w.t("x_col_total"), u["additional_successes"])], NUMBER, None)
    be_key = (
        "break_even_effect" if result.break_even_basis == "absolute_effect" else ("break_even_rate")
    )
    if result.break_even_basis is not None:
        rate = u["break_even_success_rate"]
        items = [(w.t("x_col_total"), rate["total"])] + [
            (w.actor(a), rate["by_actor"][a]) for a in ACTORS
        ]
        block(w.t(be_key), items, SHARE, ("prob_never", "x_prob_never"))
    header_row(ws, row, [(1, w.t("x_break_even_year_dist")), (2, w.t("x_share_of_draws"))])
    row += 1
    for key, share in u["break_even_year"]["distribution"].items():
        put(
            ws,
            row,
            1,
            w.t("x_no_break_even") if key == "none" else int(key),
            YEAR if key != "none" else None,
        )
        put(ws, row, 2, share, SHARE)
        row += 1


# -- one-way sensitivity (values) ---------------------------------------------------------------


def sensitivity_sheet(w: Writer, ws: Worksheet, sens: Sensitivity) -> None:
    """The one-way sensitivity (tornado): NPV per actor and in total at each input's low and
    high value."""
    from socialinvest.analysis.sensitivity import input_kind
    from socialinvest.output.analysis_tables import input_label

    ws.column_dimensions["A"].width = 52
    for letter in "BCDEFGHIJKLM":
        ws.column_dimensions[letter].width = 15
    put(ws, 1, 1, w.t("x_sensitivity_title"), font=TITLE)
    put(ws, 2, 1, w.t("x_results_values"), font=BOLD)
    put(ws, 3, 1, w.t("tornado_note"))
    row = 5
    put(ws, row, 1, w.t("sens_point", total="").rstrip(": "), font=BOLD)
    put(ws, row, 2, sens.npv_point["total"], KR)
    row += 2
    who = [*ACTORS, "total"]
    heads: list[tuple[int, Any]] = [
        (1, w.t("input")),
        (2, w.t("point_value")),
        (3, w.t("low")),
        (4, w.t("high")),
        (5, w.t("swing")),
    ]
    column = 6
    for a in who:
        name = w.actor(a) if a != "total" else w.t("x_col_total")
        heads.append((column, w.t("x_npv_at", who=name, at=w.t("low").lower())))
        heads.append((column + 1, w.t("x_npv_at", who=name, at=w.t("high").lower())))
        column += 2
    header_row(ws, row, heads)
    row += 1
    formats = {"share": SHARE, "effect": SHARE, "uplift": SHARE, "money": KR, "count": COUNT}
    for item in sens.one_way:
        fmt = formats.get(input_kind(item.path)[0], NUMBER)
        label_text = input_label(item.path, sens.names, w.lang)
        put(ws, row, 1, label_text + (" *" if item.basis == "given" else ""))
        put(ws, row, 2, item.point, fmt)
        put(ws, row, 3, item.low, fmt)
        put(ws, row, 4, item.high, fmt)
        put(ws, row, 5, item.swing, KR)
        column = 6
        for a in who:
            put(ws, row, column, item.npv_low.get(a, 0.0), KR)
            put(ws, row, column + 1, item.npv_high.get(a, 0.0), KR)
            column += 2
        row += 1


# -- the outcome contract (values) ----------------------------------------------------------------


def _payment_formulas(w: Writer, ws: Worksheet, row: int, contract: ContractView) -> int:
    """The deterministic payments as live formulas: per payment line an input cell with its
    price and the expected units per year of payment (means over the draws, indexed, after the
    lag); the expected payment per year is price × units, so a fund can change a price and the
    sheet recalculates. Returns the next free row."""
    lines = list(contract.payment_lines)
    if not lines:
        return row
    years = list(contract.years)
    put(ws, row, 1, w.t("n_x_payments_title"), font=BOLD)
    row += 1
    put(ws, row, 1, w.t("n_x_payments_note_capped" if contract.capped else "n_x_payments_note"))
    row += 1
    header_row(
        ws,
        row,
        [(1, w.t("n_x_line")), (2, w.t("n_x_price"))]
        + [(3 + k, str(y)) for k, y in enumerate(years)],
    )
    row += 1
    payment_rows = []
    for line in lines:
        share = line["mechanism"] == "savings_share"
        put(ws, row, 1, f"{line['name']}: {w.t('n_x_units')}")
        put(ws, row, 2, float(line["price"]), SHARE if share else KR2, is_input=True)
        for k, units in enumerate(line["units"]):
            put(ws, row, 3 + k, float(units), NUMBER)
        put(ws, row + 1, 1, f"{line['name']}: {w.t('n_x_payment')}")
        for k in range(len(years)):
            col = get_column_letter(3 + k)
            put(ws, row + 1, 3 + k, Formula(f"=$B{row}*{col}{row}"), KR)
        payment_rows.append(row + 1)
        row += 2
    put(ws, row, 1, w.t("n_x_payments_total"), font=BOLD)
    for k in range(len(years)):
        col = get_column_letter(3 + k)
        cells = ",".join(f"{col}{r}" for r in payment_rows)
        put(ws, row, 3 + k, Formula(f"=SUM({cells})"), KR, font=BOLD)
    put(
        ws,
        row,
        3 + len(years),
        Formula(f"=SUM(C{row}:{get_column_letter(2 + len(years))}{row})"),
        KR,
        font=BOLD,
    )
    return row + 2


def contract_sheet(w: Writer, ws: Worksheet, contract: ContractView) -> None:
    """The contract's terms, each party's expected cash flow per year, the investors' IRR over
    the draws, the payer's risk and the break-even success rates (values)."""
    import numpy as np

    ws.column_dimensions["A"].width = 46
    for column in "BCDEFGH":
        ws.column_dimensions[column].width = 18
    put(ws, 1, 1, w.t("r_h_contract"), font=TITLE)
    row = 3
    header_row(ws, row, [(1, w.t("r_col_term")), (2, w.t("r_col_value"))])
    row += 1
    for label_text, value in contract.terms:
        put(ws, row, 1, label_text)
        put(ws, row, 2, value)
        row += 1
    row += 1
    put(
        ws,
        row,
        1,
        w.t(
            "n_prob_caption_draws",
            draws=f"{contract.draws:,}",
            seed="–" if contract.seed is None else contract.seed,
        ),
    )
    row += 2
    row = _payment_formulas(w, ws, row, contract)
    parties = list(contract.parties)
    put(ws, row, 1, w.t("r_contract_flows_caption"), font=BOLD)
    row += 1
    columns = [*parties, w.t("n_col_vehicle")]
    vehicle = list(contract.vehicle) or [0.0] * len(contract.years)
    last = get_column_letter(1 + len(columns))
    header_row(
        ws,
        row,
        [(1, w.t("year"))]
        + [(2 + i, p) for i, p in enumerate(columns)]
        + [(2 + len(columns), w.t("n_col_sum"))],
    )
    row += 1
    first_row = row
    for y, year in enumerate(contract.years):
        put(ws, row, 1, int(year), YEAR)
        for i, p in enumerate(parties):
            put(ws, row, 2 + i, float(contract.cash_flows[p][y]), KR)
        put(ws, row, 2 + len(parties), float(vehicle[y]), KR)
        put(ws, row, 2 + len(columns), Formula(f"=SUM(B{row}:{last}{row})"), KR)
        row += 1
    put(ws, row, 1, w.t("total"), font=BOLD)
    for i in range(len(columns) + 1):
        col = get_column_letter(2 + i)
        put(ws, row, 2 + i, Formula(f"=SUM({col}{first_row}:{col}{row - 1})"), KR)
    row += 1
    put(ws, row, 1, w.t("n_flows_note"))
    row += 2
    irr = np.asarray(contract.investor_irr, dtype=np.float64)
    finite = irr[np.isfinite(irr)]
    if finite.size and contract.enough_draws:
        put(ws, row, 1, w.t("r_contract_irr_caption", draws=int(irr.size)), font=BOLD)
        row += 1
        heads = ["u_mean", "u_p05", "u_p50", "u_p95", "r_col_prob_loss"]
        header_row(ws, row, [(1 + i, w.t(k)) for i, k in enumerate(heads)])
        row += 1
        q = np.quantile(finite, [0.05, 0.5, 0.95])
        loss = contract.prob_loss if contract.prob_loss is not None else (finite < 0).mean()
        values = [float(finite.mean()), *map(float, q), float(loss)]
        for i, v in enumerate(values):
            put(ws, row, 1 + i, v, SHARE)
        row += 2
    for payer, risk in contract.payer_risks.items():
        put(ws, row, 1, f"{w.t('x_contract_payer_prob')}: {payer}", font=BOLD)
        put(ws, row, 2, float(risk), SHARE)
        row += 1
    row += 1
    put(ws, row, 1, w.t("r_contract_break_even_caption"), font=BOLD)
    row += 1
    header_row(ws, row, [(1, w.t("r_col_party")), (2, w.t("r_col_break_even_rate"))])
    row += 1
    for party, rate in contract.break_even_success_rates.items():
        note = contract.break_even_notes.get(party)
        put(ws, row, 1, party)
        put(ws, row, 2, "–" if rate is None else float(rate), SHARE)
        if note in ("below", "above") and rate is not None:
            put(ws, row, 3, w.t("x_be_below" if note == "below" else "x_be_above"))
        elif note == "falls" and rate is not None:
            put(ws, row, 3, w.t("c_be_falls", rate=f"{100 * rate:.1f} %"))
        row += 1
