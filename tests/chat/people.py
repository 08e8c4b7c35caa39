"""The people the chat tests play against the launched bot (tests/chat/conftest.py admits them): their
Telegram ids, and what they do — onboard, connect the simulator, read a reply once it has finished streaming."""

from __future__ import annotations

from tests.loopback.telegram_server import TelegramUser

ADMIN, ANN, BEN, STRANGER = 900, 101, 202, 666


def onboard(user: TelegramUser, *, chinese: bool = False) -> None:
    """Answer every onboarding question; Chinese types a city, English shares a location."""
    user.send("/start")
    user.wait_for_messages(1)
    user.press("中文" if chinese else "English")
    user.wait_for_messages(1)
    user.press("✅ 我同意" if chinese else "✅ I agree")
    user.wait_for_messages(1)
    if chinese:
        user.send("上海")
    else:
        user.share_location(52.52, 13.405)  # Berlin
    user.wait_for_messages(2)  # the timezone, and the next question
    for button in ("07:30", "40-64", "skip" if chinese else "ob:sex:female", "ob:goal:goal_faster",
                   "ob:caffeine:afternoon", "ob:alcohol:1-3"):
        user.press(f"ob:sex:{button}" if button == "skip" else button)
        user.wait_for_messages(1)


def connect_simulator(user: TelegramUser, persona: str) -> str:
    user.send("/connect")
    user.wait_for_messages(1)
    user.press("connect:simulator")
    user.wait_for_messages(1)
    user.press(f"connect:simulator:{persona}")
    return user.wait_for_messages(1)[0].text


def delete_data(user: TelegramUser, timeout: float = 30) -> str:
    """/delete, confirmed: the bot's answer."""
    user.send("/delete")
    user.wait_for_messages(1)
    user.press("delete:yes")
    return user.wait_for_messages(1, timeout)[0].text


def reply(user: TelegramUser, timeout: float = 180) -> str:
    """The bot's next reply, once any streaming edits have finished."""
    first = user.wait_for_messages(1, timeout)[0]
    user.wait_until(lambda messages: not next(m for m in messages if m.message_id == first.message_id)
                    .current_text.endswith("…"), timeout)
    return next(m for m in user.messages() if m.message_id == first.message_id).current_text
