"""The language of the web application's and the ledger's commands (``serve``, ``users …``,
``db upgrade``, ``demo load``, ``ledger …``): ``--lang da|en``, Danish by default as on the main
command line; every sentence they print comes from the catalogues (``locale/{da,en}/
clicommands.yaml`` and the errors' own catalogues), numbers in the language's format.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

from socialinvest.errors import Alternatives, InputError, Msg, msg

LANGS = ("da", "en")


def _checked(value: str) -> str:
    """``--lang``: da or en; anything else is one sentence (in Danish, the default) and exit
    code 2, as any other mistake, not a usage message."""
    if value not in LANGS:
        expected = msg("cc_e_either", choices=Alternatives(LANGS))
        fail(InputError(expected, field="--lang", value=value), "da")
    return value


LangOpt = Annotated[
    str,
    typer.Option(
        "--lang",
        metavar="da|en",
        callback=_checked,
        help="Language of messages and text output, and number format: da or en.",
    ),
]


def say(lang: str, key: str, /, **params: Any) -> str:
    """A catalogue text in ``lang``; whole numbers grouped as the language groups them."""
    return Msg(key, dict(params)).render(lang)


def fail(error: InputError, lang: str) -> NoReturn:
    """The mistake as one sentence on standard error in ``lang``, and exit code 2."""
    typer.echo(say(lang, "err_prefix") + error.render(lang), err=True)
    raise typer.Exit(code=2)


def kroner(value: float, lang: str, decimals: int = 2) -> str:
    """An amount: 1.234,50 kr. (da), DKK 1,234.50 (en)."""
    from socialinvest.output.numbers import money

    return money(value, lang, decimals)


def decimal(value: float, lang: str, decimals: int) -> str:
    """A number with a fixed number of decimals: 0,415 (da), 0.415 (en)."""
    from socialinvest.output.numbers import number

    return number(value, lang, decimals)
