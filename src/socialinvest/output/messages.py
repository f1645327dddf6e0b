"""Danish and English texts of the command-line output, one catalogue per language."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "da": {
        "title": "Business case: {name}",
        "municipality": "Kommune: {name}",
        "settings": "Priser i {price_year}-niveau · {draws} trækning(er) · valuta {currency}",
        "discounting": "Diskontering: {method}; {convention}",
        "convention_start": "betalinger primo år (første år diskonteres ikke)",
        "convention_end": "betalinger ultimo år (første år diskonteres ét år)",
        "constant": "konstant {rate}",
        "adjustments": "Justeringer: {items}",
        "adj_attribution": "attribution {value}",
        "adj_optimism_bias_costs": "optimismetillæg på omkostninger {value}",
        "adj_optimism_bias_effects": "optimismefradrag på effekten {value}",
        "adj_drop_off": "årligt fald i konsekvenserne {value}",
        "yearly_title": "Budgetøkonomisk nettoresultat pr. år (1.000 kr., {price_year}-priser)",
        "year": "År",
        "total": "I alt",
        "discounted_total": "Tilbagediskonteret i alt",
        "cumulative": "Akkumuleret, tilbagediskonteret",
        "key_figures": "Nøgletal",
        "npv": "Nutidsværdi (nettoresultat, tilbagediskonteret)",
        "gains": "Tilbagediskonterede gevinster",
        "costs": "Tilbagediskonterede omkostninger",
        "break_even_year": "Tilbagebetalingsår",
        "none_within": "ingen inden for {horizon} år",
        "return_per_krone": "Afkast pr. investeret krone",
        "successes": "Ekstra succeser ({measure})",
        "cost_per_success": "Omkostning pr. ekstra succes",
        "break_even_rate": "Break-even-succesrate (med indsatsen)",
        "break_even_effect": "Break-even-effekt (ekstra succesrate)",
        "never": "nås ikke",
        "above_100": "over 100 %: kan ikke nås",
        "committees_title": "Nutidsværdi pr. udvalg (kr.)",
        "outcomes_title": "Udfald pr. arm (tilstandsmodel)",
        "arm_comparator": "Uden indsats",
        "difference": "Forskel",
        "uncertainty_title": "Usikkerhed: nutidsværdi over {draws} trækninger (seed {seed})",
        "u_mean": "Middel",
        "u_p05": "5 %-fraktil",
        "u_p50": "Median",
        "u_p95": "95 %-fraktil",
        "u_prob_positive": "Sandsynlighed for overskud",
        "break_even_distribution": "Tilbagebetalingsår på tværs af trækninger: {items}",
        "none_short": "intet",
        "committee": "Udvalg",
        "not_mapped": "(ikke knyttet til et udvalg)",
        "sources_title": "Værdier fra vidensbasen (vidensbase {version})",
        "entry": "Post",
        "value": "Værdi",
        "in_price_year": "I {price_year}-priser",
        "price_index": "Nettoprisindeks",
        "status": "Status",
        "source": "Kilde",
        "own_prices": "Egne priser i sagen",
        "status_official": "officiel",
        "status_secondary": "sekundær",
        "status_assumption": "ANTAGELSE",
        "assumption_note": (
            "{count} af de anvendte værdier er antagelser (markeret ANTAGELSE), "
            "ikke officielle tal."
        ),
        "valid": "{file}: gyldig ({name}; {cohorts} kohorte(r), {consequences} konsekvens(er)).",
        "written": "Skrev {file}.",
        # sensitivity and threshold values (socialinvest sensitivity)
        "sens_title": "Følsomhedsanalyse: {name}",
        "sens_point": "Nutidsværdi med alle input i deres punktværdi: {total}",
        "tornado_title": (
            "Enkeltvis følsomhed (tornado): nutidsværdi ved lav og høj værdi af ét input ad gangen,"
            " øvrige input i punktværdi (1.000 kr.)"
        ),
        "input": "Input",
        "low": "Lav",
        "high": "Høj",
        "tornado_actor_title": "Nutidsværdi pr. aktør ved lav og høj værdi (1.000 kr.)",
        "total_low": "I alt ved lav",
        "total_high": "I alt ved høj",
        "swing": "Udsving",
        "tornado_note": (
            "Lav og høj er 5 %- og 95 %-fraktilen af inputtets fordeling; * = interval angivet med "
            "--input. Sorteret efter udsvinget i den samlede nutidsværdi."
        ),
        "no_inputs": (
            "Ingen input er givet som fordelinger: angiv input med --input STI=LAV:HØJ, "
            "f.eks. --input success.rate_with=0.3:0.6."
        ),
        "skipped_dirichlet": "{input} (dirichlet, en vektor af andele) varieres ikke enkeltvis.",
        "threshold_title": "Tærskelværdier: hvor nutidsværdien er 0",
        "range_searched": "Søgt i",
        "point_value": "Punktværdi",
        "target": "Aktør",
        "threshold_value": "Tærskelværdi",
        "no_crossing_positive": "ingen: positiv i hele intervallet",
        "no_crossing_negative": "ingen: negativ i hele intervallet",
        "no_crossing_zero": "ingen: 0 i hele intervallet",
        "threshold_note": (
            "Søgt i inputtets 0,1–99,9 %-interval, medmindre et interval er angivet med "
            "--threshold STI=LAV:HØJ (* = angivet). Øvrige input i punktværdi."
        ),
        "in_success.rate_with": "Succesrate med indsatsen",
        "in_success.rate_without": "Succesrate uden indsatsen (dødvægt)",
        "in_success.absolute_effect": "Ekstra succesrate",
        "in_adjustments.attribution": "Attribution",
        "in_adjustments.optimism_bias.costs": "Optimismetillæg på omkostninger",
        "in_adjustments.optimism_bias.effects": "Optimismefradrag på effekten",
        "in_adjustments.drop_off": "Årligt fald i konsekvenserne",
        "in_intake": "Deltagere, kohorte {year}",
        "in_cost": "Omkostning: {name}",
        "in_price": "Pris: {name}",
        "in_units": "{name}: enheder pr. ekstra succes, år {n}",
        # comparison of alternatives (socialinvest compare)
        "cmp_title": "Sammenligning af alternativer",
        "cmp_title_named": "Sammenligning af alternativer: {name}",
        "cmp_settings": "Priser i {price_year}-niveau · {draws} trækning(er)",
        "do_nothing": "Gør ingenting",
        "npv_actor": "Nutidsværdi, {actor}",
        "successes_plain": "Ekstra succeser",
        "rank_npv": "Rang efter nutidsværdi",
        "rank_rpk": "Rang efter afkast pr. krone",
        "prob_best": "Sandsynlighed for højeste nutidsværdi",
        "frontier_title": (
            "Effektivitetsfront (omkostning = tilbagediskonterede omkostninger, "
            "effekt = ekstra succeser)"
        ),
        "alternative": "Alternativ",
        "incremental": "Meromkostning pr. ekstra succes",
        "st_frontier": "på fronten",
        "st_frontier_vs": "på fronten (i forhold til {name})",
        "st_strongly_dominated": (
            "domineret af {names}: koster ikke mindre og giver ikke flere succeser"
        ),
        "st_extendedly_dominated": (
            "udvidet domineret: en blanding af {a} og {b} giver flere succeser for pengene"
        ),
        "and": "og",
        "evpi": (
            "Forventet værdi af perfekt information for valget (EVPI): {value} "
            "(Monte Carlo-standardfejl {se}); {draws} trækninger, seed {seed}."
        ),
        "evpi_hint": "Kør med --draws N for sandsynligheden for højeste nutidsværdi og EVPI.",
        "note_differs": "Bemærk: alternativerne har forskellig {what}: {values}.",
        "what_horizon_years": "tidshorisont",
        "what_model": (
            "model (en tilstandsmodel har ingen ekstra succeser, så dens omkostning pr. succes "
            "og plads på fronten siger ikke meget)"
        ),
        "what_start_year": "startår",
        "what_target_group": "beskrivelse af målgruppen",
    },
    "en": {
        "title": "Business case: {name}",
        "municipality": "Municipality: {name}",
        "settings": "Prices in {price_year} level · {draws} draw(s) · currency {currency}",
        "discounting": "Discounting: {method}; {convention}",
        "convention_start": "flows at the start of each year (first year not discounted)",
        "convention_end": "flows at the end of each year (first year discounted one year)",
        "constant": "constant {rate}",
        "adjustments": "Adjustments: {items}",
        "adj_attribution": "attribution {value}",
        "adj_optimism_bias_costs": "optimism bias uplift on costs {value}",
        "adj_optimism_bias_effects": "optimism bias haircut on the effect {value}",
        "adj_drop_off": "yearly drop-off of the consequences {value}",
        "yearly_title": "Budget net result per year (DKK thousand, {price_year} prices)",
        "year": "Year",
        "total": "Total",
        "discounted_total": "Discounted total",
        "cumulative": "Cumulative, discounted",
        "key_figures": "Key figures",
        "npv": "Net present value (discounted net result)",
        "gains": "Discounted gains",
        "costs": "Discounted costs",
        "break_even_year": "Break-even year",
        "none_within": "none within {horizon} years",
        "return_per_krone": "Return per krone invested",
        "successes": "Additional successes ({measure})",
        "cost_per_success": "Cost per additional success",
        "break_even_rate": "Break-even success rate (with the intervention)",
        "break_even_effect": "Break-even effect (additional success rate)",
        "never": "never",
        "above_100": "above 100 %: not reachable",
        "committees_title": "Net present value per committee (DKK)",
        "outcomes_title": "Outcomes per arm (state-transition model)",
        "arm_comparator": "Without the intervention",
        "difference": "Difference",
        "uncertainty_title": "Uncertainty: net present value over {draws} draws (seed {seed})",
        "u_mean": "Mean",
        "u_p05": "5th percentile",
        "u_p50": "Median",
        "u_p95": "95th percentile",
        "u_prob_positive": "Probability NPV > 0",
        "break_even_distribution": "Break-even year across draws: {items}",
        "none_short": "none",
        "committee": "Committee",
        "not_mapped": "(not mapped to a committee)",
        "sources_title": "Knowledge-base values used (knowledge base {version})",
        "entry": "Entry",
        "value": "Value",
        "in_price_year": "In {price_year} prices",
        "price_index": "Net price index",
        "status": "Status",
        "source": "Source",
        "own_prices": "Own prices in the case",
        "status_official": "official",
        "status_secondary": "secondary",
        "status_assumption": "ASSUMPTION",
        "assumption_note": (
            "{count} of the values used are assumptions (marked ASSUMPTION), not official figures."
        ),
        "valid": "{file}: valid ({name}; {cohorts} cohort(s), {consequences} consequence(s)).",
        "written": "Wrote {file}.",
        # sensitivity and threshold values (socialinvest sensitivity)
        "sens_title": "Sensitivity analysis: {name}",
        "sens_point": "Net present value with every input at its point value: {total}",
        "tornado_title": (
            "One-way sensitivity (tornado): NPV at a low and a high value of one input at a time,"
            " other inputs at their point values (DKK thousand)"
        ),
        "input": "Input",
        "low": "Low",
        "high": "High",
        "tornado_actor_title": (
            "Net present value per actor at the low and the high value (DKK thousand)"
        ),
        "total_low": "Total at low",
        "total_high": "Total at high",
        "swing": "Swing",
        "tornado_note": (
            "Low and high are the 5th and 95th percentiles of the input's distribution; * = range "
            "given with --input. Sorted by the swing in the total NPV."
        ),
        "no_inputs": (
            "No input is given as a distribution: name inputs with --input PATH=LOW:HIGH, "
            "e.g. --input success.rate_with=0.3:0.6."
        ),
        "skipped_dirichlet": "{input} (dirichlet, a vector of shares) is not varied on its own.",
        "threshold_title": "Threshold values: where the NPV is 0",
        "range_searched": "Range searched",
        "point_value": "Point value",
        "target": "Actor",
        "threshold_value": "Threshold value",
        "no_crossing_positive": "none: positive throughout the range",
        "no_crossing_negative": "none: negative throughout the range",
        "no_crossing_zero": "none: 0 throughout the range",
        "threshold_note": (
            "Searched over the input's 0.1–99.9 % interval unless a range is given with "
            "--threshold PATH=LOW:HIGH (* = given). Other inputs at their point values."
        ),
        "in_success.rate_with": "Success rate with the intervention",
        "in_success.rate_without": "Success rate without the intervention (deadweight)",
        "in_success.absolute_effect": "Additional success rate",
        "in_adjustments.attribution": "Attribution",
        "in_adjustments.optimism_bias.costs": "Optimism bias uplift on costs",
        "in_adjustments.optimism_bias.effects": "Optimism bias haircut on the effect",
        "in_adjustments.drop_off": "Yearly drop-off of the consequences",
        "in_intake": "Participants, cohort {year}",
        "in_cost": "Cost: {name}",
        "in_price": "Price: {name}",
        "in_units": "{name}: units per additional success, year {n}",
        # comparison of alternatives (socialinvest compare)
        "cmp_title": "Comparison of alternatives",
        "cmp_title_named": "Comparison of alternatives: {name}",
        "cmp_settings": "Prices in {price_year} level · {draws} draw(s)",
        "do_nothing": "Do nothing",
        "npv_actor": "Net present value, {actor}",
        "successes_plain": "Additional successes",
        "rank_npv": "Rank by net present value",
        "rank_rpk": "Rank by return per krone",
        "prob_best": "Probability of the highest NPV",
        "frontier_title": (
            "Efficiency frontier (cost = discounted costs, effect = additional successes)"
        ),
        "alternative": "Alternative",
        "incremental": "Incremental cost per additional success",
        "st_frontier": "on the frontier",
        "st_frontier_vs": "on the frontier (compared with {name})",
        "st_strongly_dominated": (
            "dominated by {names}: costs no less and achieves no more successes"
        ),
        "st_extendedly_dominated": (
            "extendedly dominated: a mix of {a} and {b} gives more successes for the money"
        ),
        "and": "and",
        "evpi": (
            "Expected value of perfect information for the choice (EVPI): {value} "
            "(Monte Carlo standard error {se}); {draws} draws, seed {seed}."
        ),
        "evpi_hint": "Run with --draws N for the probability of the highest NPV and the EVPI.",
        "note_differs": "Note: the alternatives differ in {what}: {values}.",
        "what_horizon_years": "horizon",
        "what_model": (
            "model (a state-transition case has no additional successes, so its cost per "
            "success and place on the frontier mean little)"
        ),
        "what_start_year": "start year",
        "what_target_group": "target-group description",
    },
}


UNIT_LABELS: dict[str, dict[str, str]] = {
    "da": {
        "DKK/day": "kr./dag",
        "DKK/night": "kr./nat",
        "DKK/week": "kr./uge",
        "DKK/month": "kr./måned",
        "DKK/year": "kr./år",
        "DKK/person": "kr./person",
        "DKK": "kr.",
        "share": "andel",
        "rate": "rente",
        "index": "indeks",
        "factor": "faktor",
    },
    "en": {},
}


def unit_label(lang: str, unit: str) -> str:
    return UNIT_LABELS[lang].get(unit, unit)


def text(lang: str, key: str, **kwargs: object) -> str:
    return MESSAGES[lang][key].format(**kwargs)


def _with_contract_texts() -> None:
    from socialinvest.output.contract_messages import CONTRACT_MESSAGES

    for lang, texts in CONTRACT_MESSAGES.items():
        MESSAGES[lang].update(texts)


_with_contract_texts()
