"""The store on SQLite and on PostgreSQL: round trips, idempotent upserts, user isolation, complete
deletion, migrations that match the models, and a JSON-ready export."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, text, update
from sqlalchemy.orm import Session

from integrations.simulator import Persona, SimulatorAdapter
from sleepcot.analysis import judge
from sleepcot.analysis.latest import analyze_latest
from sleepcot.domain import NIGHT_VALUE_FIELDS, Night, NightKind, PastNight, Profile, Segment, Stage, Tag, TagKind
from sleepcot.store import Pending, Store, UnknownUser
from sleepcot.store.database import MIGRATIONS
from sleepcot.store.models import Base, CredentialRow, InviteRow, NightRow, OutboxRow
from sleepcot.store.rows import night_row
from tests.database import consented_at, rows_of_user

PLUS_8 = timezone(timedelta(hours=8))
TODAY = date(2026, 11, 30)
MINUS_5 = timezone(timedelta(hours=-5))


def make_night(vendor_id: str, day: date, tz: timezone = PLUS_8, **values: object) -> Night:
    """A night ending on `day` at 07:00 local time, in bed from 23:00 the evening before."""
    start = datetime.combine(day - timedelta(days=1), time(23, 0), tz)
    end = datetime.combine(day, time(7, 0), tz)
    fields: dict[str, object] = {"time_in_bed_s": 8 * 3600, "total_sleep_s": 7 * 3600, "hrv_rmssd_ms": 42.5}
    fields.update(values)
    return Night(source="oura", vendor_id=vendor_id, start=start, end=end, **fields)  # type: ignore[arg-type]


def full_night() -> Night:
    """Every field set, stages as segments, and different offsets at start and end (a flight east)."""
    start = datetime(2024, 3, 9, 22, 30, tzinfo=MINUS_5)
    end = datetime(2024, 3, 10, 14, 0, tzinfo=PLUS_8)
    middle = start + timedelta(hours=3)
    return Night(
        source="whoop",
        vendor_id="sleep-1",
        start=start,
        end=end,
        time_in_bed_s=6 * 3600 + 30 * 60,
        total_sleep_s=6 * 3600,
        latency_s=600,
        awake_s=1800,
        deep_s=5400,
        light_s=10800,
        rem_s=5400,
        awakenings=3,
        efficiency_pct=92.3,
        hr_avg_bpm=55.4,
        hr_lowest_bpm=48.0,
        hrv_rmssd_ms=61.2,
        resp_rate_bpm=14.6,
        spo2_avg_pct=96.5,
        spo2_min_pct=89.0,
        skin_temp_dev_c=-0.3,
        score=81,
        segments=[
            Segment(start=start, end=middle, stage=Stage.DEEP),
            Segment(start=middle.astimezone(PLUS_8), end=end, stage=Stage.REM),
        ],
    )


def test_every_night_figure_has_a_column() -> None:
    columns = set(NightRow.__table__.c.keys())
    assert NIGHT_VALUE_FIELDS and set(NIGHT_VALUE_FIELDS) <= columns


def test_night_round_trip_keeps_offsets_and_segments(store: Store) -> None:
    user = store.for_user(store.create_user(Profile()))
    night = full_night()
    user.upsert_nights([night])

    [back] = user.nights()
    assert back == night
    assert back.start.utcoffset() == timedelta(hours=-5) and back.start.hour == 22
    assert back.end.utcoffset() == timedelta(hours=8) and back.end.hour == 14
    assert [s.start.utcoffset() for s in back.segments or []] == [timedelta(hours=-5), timedelta(hours=8)]
    assert back.local_date == date(2024, 3, 10)
    assert user.latest_night() == night


def test_upsert_is_idempotent_and_applies_changes(store: Store) -> None:
    user = store.for_user(store.create_user(Profile()))
    nights = [make_night("a", date(2024, 5, 1)), make_night("b", date(2024, 5, 2), tz=MINUS_5)]

    assert user.upsert_nights(nights) == 2
    assert user.upsert_nights(nights) == 0
    assert len(user.nights()) == 2

    changed = make_night("b", date(2024, 5, 2), tz=MINUS_5, hrv_rmssd_ms=50.0)
    assert user.upsert_nights([nights[0], changed]) == 1
    assert [n.hrv_rmssd_ms for n in user.nights()] == [42.5, 50.0]
    assert user.upsert_nights([]) == 0


def test_nights_filter_by_date_and_kind(store: Store) -> None:
    user = store.for_user(store.create_user(Profile()))
    nap_start = datetime(2024, 5, 2, 14, 0, tzinfo=PLUS_8)
    nap = Night(source="oura", vendor_id="nap", start=nap_start, end=nap_start + timedelta(minutes=30),
                kind=NightKind.NAP, time_in_bed_s=1800, total_sleep_s=1500)
    user.upsert_nights([make_night(str(d), date(2024, 5, d)) for d in (3, 1, 2)] + [nap])

    assert [n.local_date.day for n in user.nights()] == [1, 2, 3]  # type: ignore[union-attr]
    assert [n.vendor_id for n in user.nights(start=date(2024, 5, 2), end=date(2024, 5, 2))] == ["2"]
    assert [n.vendor_id for n in user.nights(kind=None)] == ["1", "2", "nap", "3"]
    assert [n.vendor_id for n in user.nights(kind=NightKind.NAP)] == ["nap"]
    assert user.latest_night().vendor_id == "3"  # type: ignore[union-attr]
    assert user.latest_night(NightKind.NAP) == nap


def test_profile_tags_briefings_and_turns(store: Store) -> None:
    uid = store.create_user(Profile(name="Ada"), telegram_id=9_000_000_001)
    assert store.user_by_telegram_id(9_000_000_001) == uid
    assert store.user_by_telegram_id(1) is None
    user = store.for_user(uid)

    profile = Profile(name="Ada", timezone="Asia/Shanghai", goals=["fall asleep faster"])
    user.save_profile(profile)
    assert user.profile() == profile

    user.add_tag(Tag(local_date=date(2024, 5, 2), kind=TagKind.ALCOHOL, note="two glasses"))
    user.add_tag(Tag(local_date=date(2024, 5, 1), kind=TagKind.STRESS))
    assert [t.kind for t in user.tags()] == [TagKind.STRESS, TagKind.ALCOHOL]
    assert user.tags(start=date(2024, 5, 2)) == [Tag(local_date=date(2024, 5, 2), kind=TagKind.ALCOHOL,
                                                     note="two glasses")]

    user.save_briefing(date(2024, 5, 2), "first", {"model": "a"})
    user.save_briefing(date(2024, 5, 2), "second", {"model": "b", "findings": ["short_sleep"]})
    assert user.briefing(date(2024, 5, 2)) == ("second", {"model": "b", "findings": ["short_sleep"]})
    assert user.briefing(date(2024, 5, 3)) is None

    for i in range(10):
        user.add_turn("user" if i % 2 == 0 else "assistant", f"message {i}")
    assert user.recent_turns(3) == [("assistant", "message 7"), ("user", "message 8"), ("assistant", "message 9")]
    assert len(user.recent_turns()) == 8
    with pytest.raises(ValueError):
        user.add_turn("system", "no")


def test_unknown_user(store: Store) -> None:
    with pytest.raises(UnknownUser):
        store.for_user(12345)
    user = store.for_user(store.create_user(Profile()))
    user.delete()
    with pytest.raises(UnknownUser):
        user.profile()
    with pytest.raises(UnknownUser):
        user.save_profile(Profile())
    assert store.user_ids() == []


def test_users_never_see_each_others_data(store: Store) -> None:
    a = store.for_user(store.create_user(Profile(name="A")))
    b = store.for_user(store.create_user(Profile(name="B")))
    same_key = make_night("shared-id", date(2024, 5, 1))  # same source and vendor id for both users
    a.upsert_nights([same_key])
    b.upsert_nights([make_night("shared-id", date(2024, 5, 1), hrv_rmssd_ms=70.0), make_night("b2", date(2024, 5, 2))])
    b.add_tag(Tag(local_date=date(2024, 5, 1), kind=TagKind.WORKOUT))
    b.save_briefing(date(2024, 5, 1), "for B", {})
    b.add_turn("user", "B asks")

    assert a.nights() == [same_key]
    assert a.latest_night() == same_key
    assert (a.tags(), a.briefing(date(2024, 5, 1)), a.recent_turns()) == ([], None, [])
    assert a.profile().name == "A"

    a.delete()
    assert store.user_ids() == [b.user_id]
    assert [n.hrv_rmssd_ms for n in b.nights()] == [70.0, 42.5]
    assert b.briefing(date(2024, 5, 1)) == ("for B", {})
    assert b.recent_turns() == [("user", "B asks")]


def _fill_every_table(store: Store, user_id: int) -> None:
    user = store.for_user(user_id)
    user.upsert_nights([full_night()])
    user.add_tag(Tag(local_date=date(2024, 5, 1), kind=TagKind.LATE_CAFFEINE))
    user.save_briefing(date(2024, 5, 1), "text", {"k": 1})
    user.add_turn("user", "hello")
    with Session(store.engine) as s, s.begin():  # tables the UserStore has no methods for yet
        s.add(OutboxRow(user_id=user_id, local_date=date(2024, 5, 1), kind="briefing", payload={"x": 1},
                        due_at=datetime(2024, 5, 1, 7, 30, tzinfo=UTC)))
        s.add(CredentialRow(user_id=user_id, vendor="oura", ciphertext=b"\x00secret", key_id="k1"))
    store.new_oauth_state(user_id, "oura", timedelta(minutes=10))
    code = store.create_invite(timedelta(hours=1))
    with Session(store.engine) as s, s.begin():
        s.execute(update(InviteRow).where(InviteRow.code_sha256 == hashlib.sha256(code.encode()).hexdigest())
                  .values(used_by=user_id, used_at=datetime.now(UTC)))


def test_delete_removes_every_row_in_every_table(store: Store) -> None:
    a, b = store.create_user(Profile(), telegram_id=1), store.create_user(Profile(), telegram_id=2)
    _fill_every_table(store, a)
    _fill_every_table(store, b)
    assert all(rows_of_user(store.engine, a).values())  # the test touches every table
    before_b = rows_of_user(store.engine, b)

    store.for_user(a).delete()

    assert set(rows_of_user(store.engine, a).values()) == {0}
    assert rows_of_user(store.engine, b) == before_b
    assert store.user_by_telegram_id(1) is None and store.user_by_telegram_id(2) == b


def test_export_is_json_and_holds_no_secrets(store: Store) -> None:
    uid = store.create_user(Profile(name="Ada"))
    _fill_every_table(store, uid)
    exported = store.for_user(uid).export()

    dumped = json.dumps(exported)
    assert "secret" not in dumped and "ciphertext" not in dumped
    assert json.loads(dumped)["nights"] == [full_night().model_dump(mode="json")]
    assert {"profile", "nights", "tags", "briefings", "turns"} <= exported.keys()
    assert exported["connected_vendors"][0]["vendor"] == "oura"


def test_migrations_match_models_and_rerun_cleanly(store: Store) -> None:
    store.migrate()  # a second run is a no-op
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert set(inspect(connection).get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == "0010"


def migrate_to(store: Store, revision: str) -> None:
    """The database migrated only up to `revision`: what an older version left."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_a_pending_edit_from_before_revision_0005_resumes_as_an_edit(database_url: str) -> None:
    """A database written by the bot before the pending step had its own `editing` column ("edit:<step>"
    strings) upgrades in place: the edit resumes as an edit, an onboarding step as that step, and a user
    editing a setting counts as onboarded."""
    store = Store(database_url)
    try:
        migrate_to(store, "0004")
        with store.engine.begin() as connection:
            for step, consented in (("edit:weekly_day", True), ("age", True), (None, True), (None, False)):
                connection.execute(text("INSERT INTO users (created_at, consented_at, onboarding_step) "
                                        "VALUES (:now, :consented, :step)"),
                                   {"now": datetime.now(UTC), "consented": datetime.now(UTC) if consented else None,
                                    "step": step})
        store.migrate()
        pendings = [store.for_user(user_id).pending() for user_id in store.user_ids()]
        assert pendings == [Pending("weekly_day", editing=True), Pending("age"), None, None]
        assert store.user_counts() == (4, 2)  # the editing user and the finished one; not the one at "age"
    finally:
        store.close()


def test_revision_0006_keeps_every_row_and_a_deleted_users_id_is_never_reused(database_url: str) -> None:
    """A database from before revision 0006 upgrades in place (on SQLite its users table is copied; nothing
    may cascade), and from then on ids only grow: the id of a user deleted last is not given out again."""
    store = Store(database_url)
    try:
        migrate_to(store, "0005")
        users = [store.create_user(Profile(name=f"u{i}"), telegram_id=100 + i, consented=True) for i in range(3)]
        with Session(store.engine) as s, s.begin():  # as that version stored them (no recent_nights yet)
            s.execute(insert(NightRow), [night_row(user_id, full_night()) for user_id in users])
        store.migrate()
        assert [store.for_user(u).profile().name for u in users] == ["u0", "u1", "u2"]
        assert all(len(store.for_user(u).nights(kind=None)) == 1 for u in users)
        store.for_user(users[-1]).delete()
        newcomer = store.create_user(Profile(), telegram_id=200)
        assert newcomer > users[-1]
    finally:
        store.close()


def test_after_revision_0009_a_morning_reads_the_nights_until_the_next_night_makes_the_baselines_row(
        database_url: str) -> None:
    """Revision 0009 replaces the recent-nights rows with baselines rows and makes none: until a user's
    next night is stored, their morning is judged from the nights themselves, as /today judges it."""
    store = Store(database_url)
    try:
        migrate_to(store, "0008")
        user_id = store.create_user(Profile(), telegram_id=300, consented=True)
        nights = SimulatorAdapter(Persona.INSOMNIA, 5, TODAY).fetch_nights(TODAY - timedelta(days=30), TODAY)
        with Session(store.engine) as s, s.begin():  # as that version stored them
            s.execute(insert(NightRow), [night_row(user_id, night) for night in nights[:-1]])
        store.migrate()
        user = store.for_user(user_id)
        day = user.latest_night().local_date
        morning = store.mornings({user_id: day})[user_id]
        assert all(isinstance(n, Night) for n in morning.prior.fortnight)  # no row: made from the nights
        assert judge(morning.night, morning.prior, morning.profile, []).findings == analyze_latest(user).findings

        user.upsert_nights([nights[-1]])
        morning = store.mornings({user_id: nights[-1].local_date})[user_id]
        assert all(isinstance(n, PastNight) for n in morning.prior.fortnight)  # the row, made with the night
        assert judge(morning.night, morning.prior, morning.profile, []).findings == analyze_latest(user).findings
    finally:
        store.close()


def test_a_connect_link_is_single_use_for_its_vendor_until_it_expires_and_goes_with_its_user(store: Store) -> None:
    ann, ben = (store.create_user(Profile(), telegram_id=t, consented=True) for t in (1, 2))
    nonce = store.new_oauth_state(ann, "oura", timedelta(minutes=10))
    assert store.take_oauth_state(nonce, "whoop") is None  # for another vendor: spent, and no one's
    assert store.take_oauth_state(nonce, "oura") is None
    nonce = store.new_oauth_state(ann, "oura", timedelta(minutes=10))
    assert store.take_oauth_state(nonce, "oura") == ann
    assert store.take_oauth_state(nonce, "oura") is None  # used
    stale = store.new_oauth_state(ben, "oura", timedelta(seconds=-1))
    assert store.take_oauth_state(stale, "oura") is None
    leaving = store.new_oauth_state(ben, "oura", timedelta(minutes=10))
    store.for_user(ben).delete()
    assert store.take_oauth_state(leaving, "oura") is None


def test_a_blocked_account_loses_its_data_and_cannot_come_back_by_invite(store: Store) -> None:
    user_id = store.create_user(Profile(), telegram_id=7, consented=True)
    store.for_user(user_id).upsert_nights([full_night()])
    assert store.block(7) and store.is_blocked(7) and store.user_by_telegram_id(7) is None
    assert sum(rows_of_user(store.engine, user_id).values()) == 0
    code = store.create_invite(timedelta(hours=1))
    assert store.redeem_invite(code, Profile(), telegram_id=7) is None
    assert store.invite_valid(code)  # not spent on them
    assert not store.block(7)  # blocked already; nobody left to remove
    assert store.unblock(7) and not store.is_blocked(7)
    assert store.redeem_invite(code, Profile(), telegram_id=7) is not None


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'db.sqlite'}")
    try:
        with store.engine.connect() as connection:
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert connection.scalar(text("PRAGMA foreign_keys")) == 1
        assert (tmp_path / "nested" / "dir").is_dir()
    finally:
        store.close()


def test_invites_are_single_use_and_expire(store: Store) -> None:
    code = store.create_invite(timedelta(hours=1))
    first = store.redeem_invite(code, Profile(name="Kim"), telegram_id=55)
    assert first is not None and store.for_user(first).profile().name == "Kim"
    assert store.redeem_invite(code, Profile(), telegram_id=56) is None  # spent
    assert store.user_by_telegram_id(56) is None  # and no half-made user is left behind
    expired = store.create_invite(timedelta(seconds=-1))
    assert store.redeem_invite(expired, Profile(), telegram_id=57) is None
    assert store.redeem_invite("not-a-code", Profile(), telegram_id=58) is None


def test_conversation_is_bounded_and_credentials_replace(store: Store) -> None:
    user = store.for_user(store.create_user(Profile()))
    for i in range(10):
        user.add_turn("user", f"q{i}", keep=4)
    assert [text for _, text in user.recent_turns(100)] == ["q6", "q7", "q8", "q9"]
    user.save_credential("oura", b"one", "k1")
    user.save_credential("oura", b"two", "k2")
    assert user.credential("oura") == (b"two", "k2") and user.vendors() == ["oura"]
    assert user.delete_credential("oura") and user.credential("oura") is None
    assert user.pending() is None and consented_at(store.engine, user.user_id) is None
    user.set_pending(Pending("timezone"))
    user.consent()
    assert user.pending() == Pending("timezone", editing=False) and consented_at(store.engine, user.user_id) is not None
    user.set_pending(Pending("age", editing=True))
    assert user.pending() == Pending("age", editing=True)
    user.set_pending(None)
    assert user.pending() is None
