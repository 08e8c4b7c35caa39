"""The sleep an age needs, said of that age: a knowledge answer that gives a child, a teenager or an older
adult another age's norm ("a 10-year-old needs 6 hours": 6 h is a norm, of chronic short sleep in adults) is
refused; the norm of the age asked about passes, as do figures that are not a need (a nap, a feed, a period)."""

from __future__ import annotations

import pytest

from sleepcot.analysis.norms import norm_facts
from sleepcot.coach import guard
from sleepcot.coach.guard.needs import misstated_needs

WRONG_AGE = [
    "A 10-year-old needs 6 hours.", "A ten-year-old needs six hours of sleep.", "Teens need about 7 hours of sleep.",
    "Adults need 5 hours of sleep.", "A 70-year-old needs only 5 hours of sleep.",
    "A 6-month-old baby needs about 9 hours of sleep.", "Toddlers should get 8 hours of sleep a night.",
    "10岁的孩子需要睡6个小时。", "青少年需要睡6小时就够了。", "6个月大的宝宝需要睡8小时。",
]
RIGHT_AGE_OR_NO_NEED = [
    "A 10-year-old needs 9-12 hours of sleep a night.", "Teenagers need 8-10 hours of sleep.",
    "Adults need at least 7 hours of sleep.", "Older adults need 7-8 hours of sleep.",
    "Newborns need 14-17 hours of sleep a day.", "Kids need 9-12 hours of sleep, and adults need 7-9.",
    "Children of 6 to 12 years need 9-12 h of sleep.", "A 1-year-old needs 11-14 hours of sleep.",
    "Teenagers aged 13-18 are recommended 8-10 h of sleep per 24 hours.",
    "A toddler needs a nap of 1-2 hours.", "Babies need feeding every 3 hours.",
    "Adults need 150 minutes of exercise a week.", "If insomnia lasts 3 months, adults need 7-9 hours of sleep.",
    "Adults who sleep under 6 hours are at risk.",
    "青少年需要睡8-10小时。", "4至12个月的宝宝每24小时需要睡12-16小时。", "失眠持续3个月以上的成年人需要睡7-9小时。",
]


@pytest.mark.parametrize("text", WRONG_AGE)
def test_another_ages_need_is_refused(text):
    assert misstated_needs(text)
    assert not guard.check(text, norm_facts(), knowledge=True).ok


@pytest.mark.parametrize("text", RIGHT_AGE_OR_NO_NEED)
def test_the_ages_own_need_and_figures_that_are_no_need_pass(text):
    assert misstated_needs(text) == []
