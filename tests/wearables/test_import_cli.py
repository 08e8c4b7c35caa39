"""`sleepcot import --vendor NAME FILE`: a saved payload or an export in, canonical nights out (or stored for
a bot user); unreadable or hostile files get a clear error and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sleepcot.cli import app
from sleepcot.domain import Profile
from sleepcot.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wearables"
runner = CliRunner()


def test_import_prints_the_canonical_nights_as_json():
    result = runner.invoke(app, ["import", "--vendor", "withings", "--json",
                                 str(FIXTURES / "withings" / "sleep_v2_getsummary.json")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    nights = document["nights"]
    assert document["vendor"] == "withings" and len(nights) == 8 and document["rejected"] == []
    first = next(n for n in nights if n["vendor_id"] == "2081804182")
    # the first series item: startdate 1618691453 = 2021-04-17 22:30:53 in Paris (+02:00), 18,660 s asleep
    assert first["start"] == "2021-04-17T22:30:53+02:00" and first["local_date"] == "2021-04-18"
    assert first["total_sleep_s"] == 18660 and first["source"] == "withings"


def test_import_shows_a_table_and_can_store_the_nights_for_a_bot_user(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path))
    store = Store(f"sqlite:///{tmp_path / 'sleepcot.db'}")
    store.migrate()
    user_id = store.create_user(Profile(), telegram_id=4242)
    fixture = str(FIXTURES / "fitbit" / "fitbit_sleep_response_2_items.json")
    result = runner.invoke(app, ["import", "--vendor", "fitbit", "--tz", "Europe/Paris", "--telegram-id", "4242", fixture])
    assert result.exit_code == 0, result.output
    assert "2 night(s), 0 record(s) rejected" in result.stdout and "nap" in result.stdout
    assert {n.source for n in store.for_user(user_id).nights(kind=None)} == {"fitbit"}
    assert len(store.for_user(user_id).nights(kind=None)) == 2


def test_import_refuses_unknown_vendors_bad_timezones_and_hostile_files(tmp_path):
    fixture = str(FIXTURES / "oura" / "sleep_v2_doc_example_via_hedgertronic.json")
    assert runner.invoke(app, ["import", "--vendor", "nosuch", fixture]).exit_code == 2
    assert runner.invoke(app, ["import", "--vendor", "oura", "--tz", "Mars/Olympus", fixture]).exit_code == 2
    laughs = tmp_path / "export.xml"
    laughs.write_text('<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY a "aaaaaaaaaa">'
                      '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><HealthData>&b;</HealthData>')
    result = runner.invoke(app, ["import", "--vendor", "apple_health", str(laughs)])
    assert result.exit_code == 1 and "Cannot import export.xml" in result.stderr
    garbage = tmp_path / "sleep.json"
    garbage.write_text("{not json")
    result = runner.invoke(app, ["import", "--vendor", "oura", str(garbage)])
    assert result.exit_code == 1 and "cannot read sleep.json as JSON" in result.stderr
