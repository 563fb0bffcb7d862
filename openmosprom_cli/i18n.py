"""The interface's language: English, or Russian when asked for.

Russian when ``--lang ru`` is on the command line, else ``OPENMOSPROM_LANG=ru``,
else a Russian locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, in that order);
English otherwise. It never depends on the season, so ``--help`` needs no
season and stays fast. The language is chosen when this module is first
imported (a command's help is made as the command modules load) and can be
changed with :func:`set_language`.

One message catalogue, ``locale/ru/LC_MESSAGES/openmosprom.po``, compiled to
``.mo`` and read by the standard library's gettext; the English text is the
message ID. ``python scripts/messages.py extract`` adds new messages to the
catalogue and ``compile`` writes the ``.mo``; a test checks that every message
has its Russian text and that the ``.mo`` is up to date. click's and Typer's
own words ("Usage:", "Options") come from the same catalogue: they use the
standard library's default gettext domain, which this module points to it.

Three ways to mark a message:

- ``_("text")``: translated now, in the current language;
- ``ngettext("one", "many", n)``: with its plural form (Russian has three);
- ``Msg("text {name}", name=...)``: translated when shown, so that one message
  can be shown in the interface's language on screen and in Russian in a file
  people read (the reasons of rejected rows). Its arguments may be Msgs too.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import os
import sys
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

DOMAIN = "openmosprom"
LOCALE_DIR = Path(__file__).with_name("locale")
LANG_ENV = "OPENMOSPROM_LANG"
LANG_OPTION = "--lang"
LANGUAGES = ("en", "ru")
ENGLISH, RUSSIAN = LANGUAGES

_language = ENGLISH


def detect_language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language asked for: ``--lang`` in ``argv``, then $OPENMOSPROM_LANG, then the locale's."""
    for i, arg in enumerate(argv):
        if arg == LANG_OPTION and i + 1 < len(argv):
            return _known(argv[i + 1])
        if arg.startswith(LANG_OPTION + "="):
            return _known(arg.split("=", 1)[1])
    if environ.get(LANG_ENV, "").strip():
        return _known(environ[LANG_ENV])
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return RUSSIAN if value.lower().startswith("ru") else ENGLISH
    return ENGLISH


def _known(value: str) -> str:
    code = value.strip().lower().replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else ENGLISH


def set_language(language: str) -> None:
    """Speak ``language`` ("en" or "ru") from now on, click's and Typer's own words included."""
    global _language
    _language = _known(language)
    # click and Typer translate through the standard library's default domain and the LANGUAGE variable.
    os.environ["LANGUAGE"] = _language
    gettext_module.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext_module.textdomain(DOMAIN)


def language() -> str:
    return _language


@cache
def _catalogue(language: str) -> gettext_module.NullTranslations:
    return gettext_module.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True)


def _(message: str) -> str:
    return _catalogue(_language).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalogue(_language).ngettext(singular, plural, n)


class Msg(str):
    """A message that is text in the current language and can be shown again in another (:meth:`render`).

    It is a ``str`` (the text in the language current when it was made), so it goes wherever text goes;
    its template and arguments stay with it, for a file people read in Russian whatever the interface's
    language (the reasons of rejected rows). Its arguments may be Msgs too.
    """

    template: str
    args: dict[str, object]

    def __new__(cls, template: str, /, **args: object) -> Msg:
        message = super().__new__(cls, _format(template, args, _language))
        message.template = template
        message.args = args
        return message

    def render(self, language: str) -> str:
        return _format(self.template, self.args, _known(language))

    def __reduce__(self):  # pickled (e.g. across processes) by its template and arguments
        return (_msg, (self.template, self.args))


def _msg(template: str, args: dict[str, object]) -> Msg:
    return Msg(template, **args)


def _format(template: str, args: Mapping[str, object], language: str) -> str:
    text = _catalogue(language).gettext(template)
    if not args:
        return text
    return text.format(**{k: v.render(language) if isinstance(v, Msg) else v for k, v in args.items()})


def render(text: str, language: str) -> str:
    """``text`` in ``language``: a Msg translated again, other text as it is."""
    return text.render(language) if isinstance(text, Msg) else text


_WEEKDAYS = {ENGLISH: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
             RUSSIAN: ("пн", "вт", "ср", "чт", "пт", "сб", "вс")}


def weekday(day: dt.date) -> str:
    """The day's short weekday name in the interface's language."""
    return _WEEKDAYS[_language][day.weekday()]


set_language(detect_language(sys.argv[1:], os.environ))
