"""The season's settings: ``season.toml``, commented and meant to be edited by hand."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from openmosprom_cli.errors import BadDataError, Location, MissingInputError
from openmosprom_cli.i18n import Msg, _

SETTINGS_FILE = "season.toml"


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    security: str = "none"  # none | starttls | ssl
    sender: str = ""
    user: str = ""
    timeout_s: float = 30.0
    ca_file: str = ""  # extra CA to trust, e.g. a self-signed test server


@dataclass(frozen=True)
class Limits:
    """Caps that protect against hostile spreadsheets and stuck runs."""

    lock_timeout_s: float = 10.0
    max_uncompressed_mb: int = 256
    max_compression_ratio: int = 200
    max_rows: int = 1_100_000
    max_columns: int = 200


@dataclass(frozen=True)
class PrioritySettings:
    """``[priority]``: the priority policy from earlier seasons (allocation/policy.py); off by default."""

    enabled: bool = False
    no_show_penalty: str = "points"     # points | last
    no_show_points: float = 0.0         # off the score, per recent season with a no-show
    no_show_seasons: int = 2            # how many seasons after a no-show it counts
    newcomer_bonus: float = 0.0         # for those never placed in an earlier season
    never_placed_bonus: float = 0.0     # per earlier season applied in without a seat, while never placed


@dataclass(frozen=True)
class PrizeSettings:
    """``[prizes]``: who takes part in the prize draw, how much each may win, and where winners without a seat go."""

    exclude_cancelled: bool = False   # people who cancelled their tour keep their activity prize unless true
    pickup: str = ""                  # where winners without a seat collect their prize
    max_per_person: int = 1


@dataclass(frozen=True)
class Settings:
    year: int
    window_start: dt.date
    window_end: dt.date
    tours: int = 36
    min_per_site: int = 2
    max_tours_per_day: int | None = None  # programme-wide; None = no limit
    blackout_dates: tuple[dt.date, ...] = ()
    slots_seed: int = 0
    allocation_seed: int = 0
    max_tours_per_person: int = 1
    max_companions: int = 2
    organizer_name: str = ""
    organizer_email: str = ""
    organizer_phone: str = ""
    scoring: tuple[tuple[str, float], ...] = ()
    standby_share: float = 0.2  # of a tour's capacity: how many of its waitlist its factory is told of
    priority: PrioritySettings = field(default_factory=PrioritySettings)
    history_keep_seasons: int = 12  # privacy purge keeps the history of this many earlier seasons
    prizes: PrizeSettings = field(default_factory=PrizeSettings)
    # Merge duplicate accounts at import, only where phone, full name and birth date all match.
    auto_merge_duplicates: bool = False
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def defaults(cls, year: int) -> Settings:
        return cls(year=year, window_start=dt.date(year, 12, 11), window_end=dt.date(year, 12, 22),
                   slots_seed=year, allocation_seed=year)


def default_year(today: dt.date | None = None) -> int:
    """The coming season: December of this year, or next year's once this December's window has passed."""
    today = today or dt.date.today()
    return today.year if today <= dt.date(today.year, 12, 22) else today.year + 1


def render_settings(year: int) -> str:
    """season.toml as ``init`` writes it, its comments in the interface's language (the keys never change)."""
    s = Settings.defaults(year)
    return _('''# Settings of one «Открой#Моспром» season. Edit freely; every command rereads this file.
# Dates are written as YYYY-MM-DD.

[season]
year = {year}

[window]
# Tours are generated only between these dates (inclusive).
start = {start}
end = {end}
# Days with no tours at all, e.g. ["{year}-12-13"].
blackout_dates = []

[slots]
# How many tours the season has, and at least how many each site gets.
tours = {tours}
min_per_site = {min_per_site}
# Most tours on one day across the whole programme; 0 means no limit.
max_tours_per_day = 0
# Seed for tie-breaking when tours are generated.
seed = {slots_seed}

[allocation]
# Seed of the lottery that breaks ties between equal scores and registration times.
# It is printed and stored with every allocation so anyone can rerun the draw.
seed = {allocation_seed}
max_tours_per_person = 1
max_companions = 2

[organizer]
# Shown to factories in rosters and emails, and used as Reply-To.
name = "Оргкомитет «Открой#Моспром»"
email = "excursions@example.org"
phone = "+7 495 000-00-00"

[scoring]
# Where the registrant export has no score column, the score is computed from
# task columns: "Column header" = points for a completed task.
# "Квиз «Космос»" = 10

[rosters]
# Each tour's standby («Резерв»): the first people on its waitlist, listed in the factory's roster with
# the same details as the visitors, so that its security office can admit them if they are called in.
# A share of the tour's capacity from 0 to 1, rounded up (0.2 of 12 seats is 3 people); 0 means none.
standby_share = {standby_share}

[priority]
# A priority policy from earlier seasons (imported with `openmosprom history import`). Off by default;
# when on, `assign` prints it, each adjustment is stored with the run, `explain` shows it and `audit`
# re-derives it. Scores change only for the order of choosing; prizes still go by the points as imported.
enabled = false
# A no-show in one of the last `no_show_seasons` seasons: "points" takes `no_show_points` off the score
# for each such season; "last" places the person after everyone without one.
no_show_penalty = "points"
no_show_points = 0
no_show_seasons = 2
# Points added for those never placed in an earlier season, newcomers included.
newcomer_bonus = 0
# Points added for each earlier season someone applied in without getting a seat, while they never got one.
never_placed_bonus = 0

[history]
# `openmosprom privacy purge` removes the history of seasons older than the last `keep_seasons` imported.
keep_seasons = 12

[prizes]
# Who cancelled their tour keeps the prize for their activity, unless this is true.
exclude_cancelled = false
# Where winners without a seat on a tour collect their prize (shown to them and in prizes.xlsx).
pickup = "Уточняется: организаторы сообщат дополнительно"
# How many prizes one person may win.
max_per_person = 1
# IDs never in the draw (staff, organizers' relatives) go in the owner-only file prizes-excluded.csv
# of this folder (`openmosprom prizes exclude ID --reason TEXT`), not here.

[duplicates]
# Merge duplicate accounts at each registrants import, keeping the highest score, but only where phone,
# full name and birth date all match. Shared phones or emails alone are families as often as duplicates:
# `openmosprom registrants duplicates` lists them for you to decide.
auto_merge = false

[smtp]
host = "127.0.0.1"
port = 8025
# none | starttls | ssl
security = "none"
sender = "excursions@example.org"
user = ""
timeout_s = 30
# The password is read only from the environment variable OPENMOSPROM_SMTP_PASSWORD.

[limits]
# How long a command waits for another run of the same season to finish.
lock_timeout_s = 10
# Spreadsheets that inflate beyond these are refused before they are parsed.
max_uncompressed_mb = 256
max_compression_ratio = 200
max_rows = 1100000
max_columns = 200
''').format(
        year=year, start=s.window_start.isoformat(), end=s.window_end.isoformat(), tours=s.tours,
        min_per_site=s.min_per_site, slots_seed=s.slots_seed, allocation_seed=s.allocation_seed,
        standby_share=s.standby_share)


def _date(value, where: Location) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BadDataError.at(where, Msg("{value} is not a date (write YYYY-MM-DD)", value=repr(value)))


def load_settings(path: Path) -> Settings:
    if not path.exists():
        raise MissingInputError(_("{path} does not exist").format(path=path))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise BadDataError.at(Location(str(path)), Msg("not valid TOML: {reason}", reason=str(exc))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MissingInputError(_("cannot read {path}: {reason}").format(path=path, reason=exc)) from None

    def section(name: str) -> dict:
        value = raw.get(name, {})
        if not isinstance(value, dict):
            raise BadDataError.at(Location(str(path), column=f"[{name}]"), Msg("must be a table"))
        return value

    def loc(sec: str, key: str) -> Location:
        return Location(path.name, column=f"[{sec}] {key}")

    def number(sec: str, key: str, default, kind=int, minimum=None, maximum=None):
        value = section(sec).get(key, default)
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or (kind is int and not isinstance(value, int)) or not math.isfinite(value)):
            raise BadDataError.at(loc(sec, key), Msg("{value} is not a whole number", value=repr(value))
                                  if kind is int else Msg("{value} is not a number", value=repr(value)))
        if minimum is not None and value < minimum:
            raise BadDataError.at(loc(sec, key), Msg("must be at least {minimum}", minimum=minimum))
        if maximum is not None and value > maximum:
            raise BadDataError.at(loc(sec, key), Msg("must be at most {maximum}", maximum=maximum))
        return kind(value)

    def text(sec: str, key: str, default: str = "") -> str:
        value = section(sec).get(key, default)
        if not isinstance(value, str):
            raise BadDataError.at(loc(sec, key), Msg("{value} is not text", value=repr(value)))
        return value

    year = number("season", "year", default_year(), minimum=2000, maximum=2999)
    base = Settings.defaults(year)
    window = section("window")
    start = _date(window.get("start", base.window_start), loc("window", "start"))
    end = _date(window.get("end", base.window_end), loc("window", "end"))
    if end < start:
        raise BadDataError.at(loc("window", "end"), Msg("{end} is before the start {start}", end=end, start=start))
    blackouts = window.get("blackout_dates", [])
    if not isinstance(blackouts, list):
        raise BadDataError.at(loc("window", "blackout_dates"), Msg("must be a list of dates"))
    daily = number("slots", "max_tours_per_day", 0, minimum=0)
    scoring = section("scoring")
    for key, value in scoring.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadDataError.at(loc("scoring", key), Msg("{value} is not a number of points", value=repr(value)))
    standby_share = number("rosters", "standby_share", base.standby_share, kind=float)
    if not 0 <= standby_share <= 1:  # also refuses nan
        raise BadDataError.at(loc("rosters", "standby_share"),
                              Msg("{value} must be between 0 and 1 (a share of the tour's capacity)",
                                  value=standby_share))
    priority = _priority(section("priority"), loc, number)

    def flag(sec: str, key: str, default: bool) -> bool:
        value = section(sec).get(key, default)
        if not isinstance(value, bool):
            raise BadDataError.at(loc(sec, key), Msg("{value} is not true or false", value=repr(value)))
        return value

    security = text("smtp", "security", "none").lower()
    if security not in {"none", "starttls", "ssl"}:
        raise BadDataError.at(loc("smtp", "security"), Msg("{value} must be none, starttls or ssl",
                                                           value=repr(security)))
    return Settings(
        year=year,
        window_start=start,
        window_end=end,
        tours=number("slots", "tours", base.tours, minimum=1),
        min_per_site=number("slots", "min_per_site", base.min_per_site, minimum=0),
        max_tours_per_day=daily or None,
        blackout_dates=tuple(sorted(_date(d, loc("window", "blackout_dates")) for d in blackouts)),
        slots_seed=number("slots", "seed", base.slots_seed),
        allocation_seed=number("allocation", "seed", base.allocation_seed),
        max_tours_per_person=number("allocation", "max_tours_per_person", 1, minimum=1),
        max_companions=number("allocation", "max_companions", 2, minimum=0),
        organizer_name=text("organizer", "name"),
        organizer_email=text("organizer", "email"),
        organizer_phone=text("organizer", "phone"),
        scoring=tuple((str(k), float(v)) for k, v in scoring.items()),
        standby_share=standby_share,
        priority=priority,
        history_keep_seasons=number("history", "keep_seasons", 12, minimum=1),
        prizes=PrizeSettings(exclude_cancelled=flag("prizes", "exclude_cancelled", False),
                             pickup=text("prizes", "pickup"),
                             max_per_person=number("prizes", "max_per_person", 1, minimum=1, maximum=100)),
        auto_merge_duplicates=flag("duplicates", "auto_merge", False),
        smtp=SmtpSettings(
            host=text("smtp", "host", "127.0.0.1"),
            port=number("smtp", "port", 8025, minimum=1, maximum=65535),
            security=security,
            sender=text("smtp", "sender"),
            user=text("smtp", "user"),
            timeout_s=number("smtp", "timeout_s", 30.0, kind=float, minimum=0.1, maximum=3600),
            ca_file=text("smtp", "ca_file"),
        ),
        limits=Limits(
            lock_timeout_s=number("limits", "lock_timeout_s", 10.0, kind=float, minimum=0, maximum=86400),
            max_uncompressed_mb=number("limits", "max_uncompressed_mb", 256, minimum=1),
            max_compression_ratio=number("limits", "max_compression_ratio", 200, minimum=1),
            max_rows=number("limits", "max_rows", 1_100_000, minimum=1),
            max_columns=number("limits", "max_columns", 200, minimum=1),
        ),
    )


def _priority(raw: dict, loc, number) -> PrioritySettings:
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise BadDataError.at(loc("priority", "enabled"), Msg("{value} must be true or false", value=repr(enabled)))
    penalty = raw.get("no_show_penalty", "points")
    if penalty not in ("points", "last"):
        raise BadDataError.at(loc("priority", "no_show_penalty"), Msg("{value} must be \"points\" or \"last\"",
                                                                      value=repr(penalty)))
    return PrioritySettings(
        enabled=enabled, no_show_penalty=penalty,
        no_show_points=number("priority", "no_show_points", 0.0, kind=float, minimum=0),
        no_show_seasons=number("priority", "no_show_seasons", 2, minimum=1),
        newcomer_bonus=number("priority", "newcomer_bonus", 0.0, kind=float, minimum=0),
        never_placed_bonus=number("priority", "never_placed_bonus", 0.0, kind=float, minimum=0),
    )
