"""Texts of the XLSX report that the shared message catalogues do not (yet) hold.

One place for them, so they can move into ``socialinvest/locale/{da,en}.yaml`` unchanged: the keys
all start with ``x_``. :func:`label` looks a key up here first, then in the catalogues.
"""

from __future__ import annotations

from typing import Final

from socialinvest.output.messages import text

XLSX_TEXTS: Final[dict[str, dict[str, str]]] = {
    "da": {
        # sheet names (at most 31 characters, no []:*?/\)
        "x_sheet_about": "Om",
        "x_sheet_inputs": "Input",
        "x_sheet_calc": "Beregning",
        "x_sheet_results": "Resultater",
        "x_sheet_uncertainty": "Usikkerhed",
        "x_sheet_yearly": "Pr. år",
        "x_sheet_outcomes": "Udfald",
        # about sheet
        "x_about_title": "Business case: {name}",
        "x_about_live": (
            "Arket Beregning regner hele den deterministiske business case med formler ud fra "
            "arket Input. Ret en værdi i en blå celle på Input, så regnes alle resultater om."
        ),
        "x_about_point": (
            "Input givet som fordelinger indgår med deres middelværdi (punktværdi); "
            "Resultater viser altså den deterministiske beregning."
        ),
        "x_about_mc": (
            "Monte Carlo-resultaterne ({draws} trækninger, seed {seed}) står som værdier på arket "
            "Usikkerhed; de regnes ikke om, når et input ændres."
        ),
        "x_about_state": (
            "Tilstandsmodel (Markov/mikrosimulation): regnemaskinen bag den er ikke skrevet som "
            "formler i regnearket. Alle tal i denne fil er værdier beregnet af socialinvest "
            "{version}; de regnes ikke om, hvis noget ændres."
        ),
        "x_about_method": "Metoden er beskrevet i docs/method.md og docs/reports-xlsx.md.",
        "x_about_file": "Sagsfil: {file} (SHA-256 {sha})",
        "x_about_kb": "Vidensbase: {version} ({digest})",
        "x_about_created": "Dannet {date} af socialinvest {version}",
        "x_about_colours": "Blå celler: input. Hvide celler: formler. Orange status: antagelse.",
        # inputs sheet
        "x_inputs_title": "Input til den deterministiske beregning",
        "x_col_input": "Input",
        "x_col_value": "Værdi",
        "x_col_unit": "Enhed",
        "x_col_status": "Status",
        "x_col_source": "Kilde / note",
        "x_general": "Generelt",
        "x_price_year": "Prisniveau (år)",
        "x_start_year": "Første år",
        "x_horizon": "Tidshorisont (år)",
        "x_structure_note": "struktur: ændres i sagsfilen, ikke her",
        "x_convention": "Diskonteringskonvention: 0 = primo år, 1 = ultimo år",
        "x_success": "Succes",
        "x_rate_with": "Succesrate med indsatsen",
        "x_rate_without": "Succesrate uden indsatsen (dødvægt)",
        "x_absolute_effect": "Ekstra succesrate (absolut effekt)",
        "x_measure": "Succesmål: {measure}",
        "x_timing": "Andel af en kohortes succeser i år 1, 2, … efter indtag",
        "x_years_after_intake": "År efter indtag",
        "x_years_after_success": "År efter succes",
        "x_adjustments": "Justeringer",
        "x_intake": "Deltagere (indtag) pr. år",
        "x_target_group": "Målgruppe: {description}",
        "x_discount_bands": "Diskonteringsrenter (trinvis: renten gælder fra og med år)",
        "x_discount_bands_gains": "Diskonteringsrenter for gevinster (egen sats)",
        "x_from_year": "Fra år (indeks, 0 = første år)",
        "x_rate": "Rente",
        "x_band": "Trin {n}",
        "x_price_index": "Nettoprisindeks",
        "x_index_year": "Indeks {year}",
        "x_consequences": "Konsekvenser: enhedspriser",
        "x_col_price": "Pris (oplyst)",
        "x_col_price_unit": "Prisenhed",
        "x_col_value_year": "Prisår",
        "x_col_conversion": "Omregning til enhed",
        "x_col_sign": "Fortegn (1 udgift, −1 indtægt)",
        "x_col_share": "Andel {actor}",
        "x_col_area": "Område",
        "x_col_activity": "Enhed for ændringen",
        "x_profiles": "Konsekvenser: ændring i enheder pr. ekstra succes",
        "x_costs": "Omkostninger ved indsatsen",
        "x_col_amount": "Beløb (i eget prisår)",
        "x_col_actor": "Betaler",
        "x_col_type": "Type",
        "x_cost_schedule_participant": (
            "Omkostninger pr. deltager: antal beløb (perioder eller andele) i år 1, 2, … "
            "efter indtag"
        ),
        "x_cost_schedule_calendar": "Faste og engangsomkostninger: betales i året (1) eller ej (0)",
        "x_type_per_participant": "pr. deltager",
        "x_type_per_participant_period": "pr. deltager pr. {period}",
        "x_type_fixed": "fast pr. år",
        "x_type_one_off": "engangsbeløb",
        "x_period_week": "uge",
        "x_period_month": "måned",
        "x_period_quarter": "kvartal",
        "x_period_year": "år",
        "x_share_unit": "andel",
        "x_kr": "kr.",
        "x_kr_per": "kr./{unit}",
        "x_count": "antal",
        "x_index": "indeks",
        "x_case_file": "sagsfil",
        # calculation sheet
        "x_calc_title": "Beregning (formler; ret intet her, ret på arket Input)",
        "x_discounting": "Diskontering",
        "x_time": "Tidspunkt t (år efter start)",
        "x_rate_costs": "Rente r_t, omkostninger",
        "x_rate_gains": "Rente r_t, gevinster",
        "x_df_time_costs": "Diskonteringsfaktor på tidspunkt t, omkostninger",
        "x_df_time_gains": "Diskonteringsfaktor på tidspunkt t, gevinster",
        "x_df_costs": "Diskonteringsfaktor for årets omkostninger",
        "x_df_gains": "Diskonteringsfaktor for årets gevinster",
        "x_effect": "Ekstra succesrate Δs",
        "x_effect_factor": "Faktor (1 − attribution) · (1 − optimismefradrag)",
        "x_successes_per_effect": "Succeser pr. enhed Δs (fordelt på år)",
        "x_successes_year": "Ekstra succeser i året",
        "x_successes_total": "Ekstra succeser i alt (alle kohorter)",
        "x_decay": "Faktor for årligt fald (1 − fald)^j",
        "x_price_factor": "Prisfaktor til prisniveau",
        "x_price_per_unit": "Pris pr. enhed i prisniveau",
        "x_price_actor": "Pris pr. enhed, {actor}",
        "x_unit_prices": "Enhedspriser i prisniveauet, fordelt på aktører (fortegn: udgift +)",
        "x_units": "Ændring i enheder pr. enhed Δs",
        "x_gains_per_effect_rows": "Gevinst pr. enhed Δs (−enheder · pris)",
        "x_cost_rows": "Omkostninger (inkl. optimismetillæg)",
        "x_by_actor": "Pr. aktør",
        "x_gains_per_effect": "Gevinster pr. enhed Δs",
        "x_gains_year": "Gevinster",
        "x_costs_year": "Omkostninger",
        "x_net_year": "Nettoresultat",
        "x_disc_net_year": "Nettoresultat, tilbagediskonteret",
        "x_cumulative": "Akkumuleret, tilbagediskonteret",
        "x_stays": "Akkumuleret ≥ 0 herfra til horisonten (1 = ja)",
        "x_by_area": "Pr. område (alle aktører)",
        "x_col_year": "År",
        "x_col_actor_area": "Aktør / område",
        # results sheet
        "x_results_title": "Resultater (formler: regnes om, når Input ændres)",
        "x_results_point": "Deterministisk beregning med input i deres punktværdi.",
        "x_results_values": "Værdier beregnet af socialinvest (ikke formler).",
        "x_col_total": "I alt",
        "x_successes_row": "Ekstra succeser",
        "x_no_flows": "–",
        "x_involved": "Aktøren har gevinster eller omkostninger (1 = ja)",
        "x_committee_areas": "Områder",
        "x_yearly_title": "Pr. år (kr.)",
        "x_no_break_even": "ingen",
        "x_chart_cumulative": "Akkumuleret tilbagediskonteret nettoresultat (kr.)",
        # uncertainty sheet
        "x_uncertainty_title": "Usikkerhed: {draws} trækninger (seed {seed}); værdier",
        "x_sd": "Standardafvigelse",
        "x_prob_never": "Andel trækninger uden break-even",
        "x_break_even_year_dist": "Tilbagebetalingsår på tværs af trækninger (andel)",
        "x_share_of_draws": "Andel af trækninger",
        # state-transition outcomes
        "x_outcome": "Udfald",
        "x_arm_intervention": "Med indsatsen",
        "x_ratio": "Forhold",
    },
    "en": {
        "x_sheet_about": "About",
        "x_sheet_inputs": "Inputs",
        "x_sheet_calc": "Calculation",
        "x_sheet_results": "Results",
        "x_sheet_uncertainty": "Uncertainty",
        "x_sheet_yearly": "Per year",
        "x_sheet_outcomes": "Outcomes",
        "x_about_title": "Business case: {name}",
        "x_about_live": (
            "The Calculation sheet computes the whole deterministic business case with formulas "
            "from the Inputs sheet. Change a value in a blue cell on Inputs and every result "
            "recalculates."
        ),
        "x_about_point": (
            "Inputs given as distributions enter at their mean (point value); the Results sheet "
            "shows the deterministic calculation."
        ),
        "x_about_mc": (
            "The Monte Carlo results ({draws} draws, seed {seed}) are values on the Uncertainty "
            "sheet; they do not recalculate when an input changes."
        ),
        "x_about_state": (
            "State-transition model (Markov/microsimulation): its machinery is not written as "
            "spreadsheet formulas. Every number in this file is a value computed by socialinvest "
            "{version}; nothing recalculates if something is changed."
        ),
        "x_about_method": "The method is described in docs/method.md and docs/reports-xlsx.md.",
        "x_about_file": "Case file: {file} (SHA-256 {sha})",
        "x_about_kb": "Knowledge base: {version} ({digest})",
        "x_about_created": "Created {date} by socialinvest {version}",
        "x_about_colours": "Blue cells: inputs. White cells: formulas. Orange status: assumption.",
        "x_inputs_title": "Inputs of the deterministic calculation",
        "x_col_input": "Input",
        "x_col_value": "Value",
        "x_col_unit": "Unit",
        "x_col_status": "Status",
        "x_col_source": "Source / note",
        "x_general": "General",
        "x_price_year": "Price year",
        "x_start_year": "First year",
        "x_horizon": "Horizon (years)",
        "x_structure_note": "structure: change it in the case file, not here",
        "x_convention": "Discounting convention: 0 = start of year, 1 = end of year",
        "x_success": "Success",
        "x_rate_with": "Success rate with the intervention",
        "x_rate_without": "Success rate without the intervention (deadweight)",
        "x_absolute_effect": "Additional success rate (absolute effect)",
        "x_measure": "Success measure: {measure}",
        "x_timing": "Share of a cohort's successes in year 1, 2, … after intake",
        "x_years_after_intake": "Year after intake",
        "x_years_after_success": "Year after success",
        "x_adjustments": "Adjustments",
        "x_intake": "Participants (intake) per year",
        "x_target_group": "Target group: {description}",
        "x_discount_bands": "Discount rates (step schedule: a rate applies from its year on)",
        "x_discount_bands_gains": "Discount rates for gains (own schedule)",
        "x_from_year": "From year (index, 0 = first year)",
        "x_rate": "Rate",
        "x_band": "Band {n}",
        "x_price_index": "Net price index",
        "x_index_year": "Index {year}",
        "x_consequences": "Consequences: unit prices",
        "x_col_price": "Price (as stated)",
        "x_col_price_unit": "Price unit",
        "x_col_value_year": "Price year",
        "x_col_conversion": "Conversion to unit",
        "x_col_sign": "Sign (1 expense, −1 revenue)",
        "x_col_share": "Share {actor}",
        "x_col_area": "Area",
        "x_col_activity": "Unit of the change",
        "x_profiles": "Consequences: change in units per additional success",
        "x_costs": "Costs of the intervention",
        "x_col_amount": "Amount (in its price year)",
        "x_col_actor": "Payer",
        "x_col_type": "Type",
        "x_cost_schedule_participant": (
            "Costs per participant: number of amounts (periods or shares) in year 1, 2, … after "
            "intake"
        ),
        "x_cost_schedule_calendar": "Fixed and one-off costs: paid in the year (1) or not (0)",
        "x_type_per_participant": "per participant",
        "x_type_per_participant_period": "per participant per {period}",
        "x_type_fixed": "fixed per year",
        "x_type_one_off": "one-off",
        "x_period_week": "week",
        "x_period_month": "month",
        "x_period_quarter": "quarter",
        "x_period_year": "year",
        "x_share_unit": "share",
        "x_kr": "DKK",
        "x_kr_per": "DKK/{unit}",
        "x_count": "number",
        "x_index": "index",
        "x_case_file": "case file",
        "x_calc_title": "Calculation (formulas; change nothing here, change the Inputs sheet)",
        "x_discounting": "Discounting",
        "x_time": "Time t (years after the start)",
        "x_rate_costs": "Rate r_t, costs",
        "x_rate_gains": "Rate r_t, gains",
        "x_df_time_costs": "Discount factor at time t, costs",
        "x_df_time_gains": "Discount factor at time t, gains",
        "x_df_costs": "Discount factor of the year's costs",
        "x_df_gains": "Discount factor of the year's gains",
        "x_effect": "Additional success rate Δs",
        "x_effect_factor": "Factor (1 − attribution) · (1 − optimism haircut)",
        "x_successes_per_effect": "Successes per unit of Δs (by year)",
        "x_successes_year": "Additional successes in the year",
        "x_successes_total": "Additional successes in all (all cohorts)",
        "x_decay": "Drop-off factor (1 − drop-off)^j",
        "x_price_factor": "Price factor to the price year",
        "x_price_per_unit": "Price per unit in the price year",
        "x_price_actor": "Price per unit, {actor}",
        "x_unit_prices": "Unit prices in the price year, split by actor (sign: expense +)",
        "x_units": "Change in units per unit of Δs",
        "x_gains_per_effect_rows": "Gain per unit of Δs (−units · price)",
        "x_cost_rows": "Costs (incl. optimism bias uplift)",
        "x_by_actor": "By actor",
        "x_gains_per_effect": "Gains per unit of Δs",
        "x_gains_year": "Gains",
        "x_costs_year": "Costs",
        "x_net_year": "Net result",
        "x_disc_net_year": "Net result, discounted",
        "x_cumulative": "Cumulative, discounted",
        "x_stays": "Cumulative ≥ 0 from here to the horizon (1 = yes)",
        "x_by_area": "By area (all actors)",
        "x_col_year": "Year",
        "x_col_actor_area": "Actor / area",
        "x_results_title": "Results (formulas: they recalculate when Inputs change)",
        "x_results_point": "Deterministic calculation with every input at its point value.",
        "x_results_values": "Values computed by socialinvest (not formulas).",
        "x_col_total": "Total",
        "x_successes_row": "Additional successes",
        "x_no_flows": "–",
        "x_involved": "The actor has gains or costs (1 = yes)",
        "x_committee_areas": "Areas",
        "x_yearly_title": "Per year (DKK)",
        "x_no_break_even": "none",
        "x_chart_cumulative": "Cumulative discounted net result (DKK)",
        "x_uncertainty_title": "Uncertainty: {draws} draws (seed {seed}); values",
        "x_sd": "Standard deviation",
        "x_prob_never": "Share of draws without break-even",
        "x_break_even_year_dist": "Break-even year across draws (share)",
        "x_share_of_draws": "Share of draws",
        "x_outcome": "Outcome",
        "x_arm_intervention": "With the intervention",
        "x_ratio": "Ratio",
    },
}


def label(lang: str, key: str, **kwargs: object) -> str:
    """The text of ``key`` in ``lang``: the XLSX texts above, else the shared catalogues."""
    own = XLSX_TEXTS[lang].get(key)
    if own is not None:
        return own.format(**kwargs)
    return text(lang, key, **kwargs)
