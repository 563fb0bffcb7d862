"""The demo runs the whole pipeline, from a fresh folder, as a new user would."""

import csv
import os
import stat
from email import policy
from email.parser import BytesParser

import openpyxl


def test_demo_runs_every_stage(cli, tmp_path):
    where = tmp_path / "demo"
    result = cli("demo", where, "--people", "1200")
    assert result.exit_code == 0, result.output
    assert "36 tours across 14 sites" in result.output
    assert "rejected" in result.output and "Inputs fingerprint" in result.output
    assert len(list((where / "schedules").glob("*.xlsx"))) == 14
    rosters = where / "rosters"
    assert len([p for p in rosters.glob("*.xlsx") if p.name != "participants.xlsx"]) == 14
    workbook = openpyxl.load_workbook(rosters / "estet.xlsx")
    assert "Резерв" in workbook.sheetnames
    with open(where / "publications" / "notifications-0001.csv", encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh, delimiter=";"))) > 1100       # one line per person, and the header
    emails = sorted((where / "outbox").glob("*.eml"))
    assert len(emails) == 14
    message = BytesParser(policy=policy.default).parsebytes(emails[0].read_bytes())
    assert message["Message-ID"] and any(part.get_filename() for part in message.iter_attachments())
    assert (where / "rejected-registrants-export.xlsx").exists()
    assert stat.S_IMODE(os.stat(where / "season.db").st_mode) == 0o600

    # the prizes: a catalogue the organizers can open, a draw, and each winner's prize on the rosters
    assert (where / "prizes-catalogue.xlsx").exists() and "Winners: 78; prizes won: 78." in result.output
    with open(where / "publications" / "notifications-0001.csv", encoding="utf-8-sig") as fh:
        notices = list(csv.DictReader(fh, delimiter=";"))
    assert sum(1 for n in notices if n.get("Приз")) == 78
    # the audit certifies the demo's allocation and its prize draw
    audited = cli("audit", "-w", where)
    assert audited.exit_code == 0 and "prize result fingerprint" in audited.output


def test_demo_refuses_to_overwrite_without_force(cli, tmp_path):
    where = tmp_path / "demo"
    where.mkdir()
    (where / "notes.txt").write_text("mine")
    result = cli("demo", where)
    assert result.exit_code == 73
    assert (where / "notes.txt").read_text() == "mine"
    # --force replaces an earlier demo season, but never a folder that is not a season
    assert cli("demo", where, "--force").exit_code == 73
    assert (where / "notes.txt").exists()
