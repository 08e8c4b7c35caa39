"""What a careless or hostile sender cannot do to the bot (issue 17): stall everyone with a flood, restate a
log by editing it, reach the bot through a business account, skip consent with a forged button, or make the
bot write on every `/start` with a made-up invite; and what an operator can do about a user (block them). The
real bot against the loopback Bot API."""

from __future__ import annotations

import time

from sqlalchemy import event
from typer.testing import CliRunner

from sleepcot.cli import app as cli
from tests.chat.people import ADMIN, ANN, BEN, STRANGER, onboard
from tests.database import rows_of_user

FLOOD = 70


def test_one_user_cannot_stall_everyone_and_a_flood_is_cut_short(telegram, launch):
    bot = launch()
    ann, ben = telegram.user(ANN, "Ann"), telegram.user(BEN, "Ben")
    onboard(ann)
    onboard(ben)
    before = len(ann.messages())
    # Ann's first answer stays unwritten, so her turn lasts until the bot's request times out (5 s)
    held = telegram.hold_next("sendMessage")
    ann.send("/help")
    assert held.arrived.wait(10)
    for _ in range(FLOOD):
        ann.send("/help")
    ben.send("/help")
    try:
        assert "/today" in ben.wait_for_messages(1, timeout=2)[0].text  # Ben is answered while Ann's turn lasts
    finally:
        held.release()
    slow_down = "a lot of messages at once"
    ann.wait_until(lambda messages: any(slow_down in m.text for m in messages), timeout=60)
    ben.send("/help")  # after Ann's queue: by the time Ben is answered again, Ann's queue has drained
    ben.wait_for_messages(1, timeout=60)
    answers = ann.messages()[before:]
    assert sum(slow_down in m.text for m in answers) == 1  # told once
    assert len(answers) - 1 < FLOOD / 2  # the flood beyond what is queued was dropped
    assert bot.user_store(ANN).pending() is None


def test_an_edited_message_is_not_a_new_statement_and_business_chats_are_not_served(telegram, launch):
    bot = launch()
    ann, customer = telegram.user(ANN, "Ann"), telegram.user(STRANGER, "Customer")
    onboard(ann)
    statement = ann.send("had two glasses of wine tonight")
    assert "Logged" in ann.wait_for_messages(1)[0].text
    logged = bot.user_store(ANN).tags()
    ann.edit(statement, "had three glasses of wine tonight")
    ann.send_as_business("how did I sleep last night?", customer)  # Ann's own data, asked in a customer's chat
    ann.send("/help")  # handled after both: by its answer, they were handled (or never came) too
    assert "/today" in ann.wait_for_messages(1)[0].text
    assert bot.user_store(ANN).tags() == logged
    assert customer.messages() == []
    assert rows_of_user(bot.store.engine, bot.user_store(ANN).user_id)["tags"] == len(logged)


def test_a_made_up_invite_gets_one_refusal_then_silence_and_no_write(telegram, launch):
    bot = launch()
    stranger, admin = telegram.user(STRANGER, "Eve"), telegram.user(ADMIN, "Op")
    changes: list[str] = []
    event.listen(bot.store.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: changes.append(statement)
                 if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) else None)
    admin.send("/invite")
    code = admin.wait_for_messages(1)[0].text.split("/start ")[1].split(")")[0].strip()
    changes.clear()
    for attempt in range(5):
        stranger.send(f"/start made-up-code-{attempt}")
    stranger.send(f"/start {code}")  # handled after the made-up ones (one user's updates run in order)
    stranger.wait_for_messages(2)
    assert [m.text.split("\n")[0] for m in stranger.messages()] == [
        "That invite code is not valid (it may be used or expired). Ask the operator for a new one.",
        "👋 Welcome to SleepCoT, your sleep coach."]
    assert changes == []  # neither the made-up codes nor the real one (spent only at consent) wrote anything


def test_forged_buttons_cannot_skip_consent_or_onboarding(telegram, launch):
    bot = launch()
    ann = telegram.user(ANN, "Ann")
    ann.send("/start")
    ann.wait_for_messages(1)  # the language question: nothing is stored yet
    for forged in ("ob:consent:yes", "connect:simulator:healthy", "settings:timezone", "log:alcohol",
                   "delete:yes", "ob:timezone:Europe/Paris"):
        ann.press_forged(forged)
    ann.send("/help")  # not a user yet: asked to finish setting up
    assert "finish setting up" in ann.wait_for_messages(1)[-1].text
    assert bot.store.user_by_telegram_id(ANN) is None

    ann.press("English")
    ann.wait_for_messages(1)
    ann.press("✅ I agree")
    ann.wait_for_messages(1)  # stored now; asked for the timezone
    user = bot.user_store(ANN)
    for forged in ("connect:simulator:healthy", "log:alcohol", "settings:late_briefing", "ob:age:40-64",
                   "delete:yes"):
        ann.press_forged(forged)
    ann.send("Europe/Paris")  # the answer to the question asked: handled after the presses
    ann.wait_for_messages(2)
    rows = rows_of_user(bot.store.engine, user.user_id)
    assert (rows["users"], rows["credentials"], rows["nights"], rows["tags"]) == (1, 0, 0, 0)
    assert user.pending().step == "briefing_time"
    assert user.profile().age_band.value != "40-64"


def test_an_operator_blocks_a_user_who_loses_their_data_and_every_answer_until_unblocked(telegram, launch,
                                                                                       monkeypatch, tmp_path):
    bot = launch()
    ann, ben, admin = telegram.user(ANN, "Ann"), telegram.user(BEN, "Ben"), telegram.user(ADMIN, "Op")
    onboard(ann)
    onboard(ben)
    ann_id = bot.user_store(ANN).user_id
    ben.send(f"/block {ANN}")  # only an operator may
    assert "I don't know that command" in ben.wait_for_messages(1)[0].text
    admin.send("/block ann")
    assert "/block ID" in admin.wait_for_messages(1)[0].text
    admin.send(f"/block {ADMIN}")
    assert "cannot be blocked" in admin.wait_for_messages(1)[0].text
    admin.send(f"/block {ANN}")
    assert f"Blocked {ANN}: their data is deleted" in admin.wait_for_messages(1)[0].text
    assert sum(rows_of_user(bot.store.engine, ann_id).values()) == 0
    admin.send("/invite")
    code = admin.wait_for_messages(1)[0].text.split("/start ")[1].split()[0]
    before = len(ann.messages())
    for text in ("/start", "/today", "hello?", f"/start {code}"):  # admitted by the settings, and invited
        ann.send(text)
    time.sleep(2)
    assert len(ann.messages()) == before  # not a word
    assert bot.store.user_by_telegram_id(ANN) is None and bot.store.invite_valid(code)

    admin.send(f"/unblock {ANN}")
    assert "Unblocked" in admin.wait_for_messages(1)[0].text
    onboard(ann)  # back, as a new user
    assert bot.user_store(ANN).user_id != ann_id

    monkeypatch.setenv("SLEEPCOT_DATABASE_URL", bot.settings.effective_database_url)
    monkeypatch.setenv("SLEEPCOT_DATA_DIR", str(tmp_path / "data"))
    printed = CliRunner().invoke(cli, ["block", "--user", str(bot.user_store(ANN).user_id)])
    assert printed.exit_code == 0 and f"Blocked {ANN}: their data is deleted" in printed.output
    before = len(ann.messages())
    ann.send("/help")
    time.sleep(1)
    assert len(ann.messages()) == before and bot.store.is_blocked(ANN)
    assert CliRunner().invoke(cli, ["block", "--undo", str(ANN)]).exit_code == 0
    assert not bot.store.is_blocked(ANN)
