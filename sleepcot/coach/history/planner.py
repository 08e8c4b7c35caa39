"""The model reads a history question the rules could not: it fills a flat form of the plan, constrained to
its JSON schema (a llama.cpp grammar, Ollama's `format`, OpenAI's `response_format`), and the result is
validated into a `Plan` — or there is no plan."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Literal

from pydantic import BaseModel, ValidationError

from sleepcot.analysis.history import (
    Aggregate,
    CompareKind,
    Comparison,
    Days,
    Measure,
    Period,
    PeriodKind,
    Plan,
    Threshold,
)
from sleepcot.coach import prompts
from sleepcot.coach.llm import LLM, LLMUnavailable
from sleepcot.domain import Language, TagKind, Unit
from sleepcot.units import WEEKDAYS

log = logging.getLogger(__name__)
PLAN_TOKENS = 120


class FlatPlan(BaseModel):
    """The plan as one flat object: what a small model can fill."""

    measure: Measure
    aggregate: Aggregate
    period: PeriodKind
    nights: int | None = None
    month: int | None = None
    start: date | None = None
    end: date | None = None
    days: Days = Days.ALL
    threshold_below: bool | None = None
    threshold_value: float | None = None
    threshold_unit: Literal["h", "min", "%", "ms", "bpm", "clock"] | None = None
    compare: Literal["none", "period", "days", "habit"] = "none"
    compare_period: PeriodKind | None = None
    habit: TagKind | None = None

    def plan(self) -> Plan:
        """The typed plan; raises ValueError where the form does not make one."""
        period = Period(kind=self.period, nights=self.nights, month=self.month, start=self.start, end=self.end,
                        days=self.days)
        threshold = None
        if self.threshold_value is not None and self.threshold_unit is not None:
            threshold = Threshold(below=bool(self.threshold_below), value=self.threshold_value,
                                  unit=Unit(self.threshold_unit))
        compare = None
        if self.compare == "period" and self.compare_period is not None:
            compare = Comparison(kind=CompareKind.PERIOD, period=Period(kind=self.compare_period))
        elif self.compare == "days":
            compare = Comparison(kind=CompareKind.DAYS)
        elif self.compare == "habit" and self.habit is not None:
            compare = Comparison(kind=CompareKind.HABIT, habit=(self.habit,))
        return Plan(measure=self.measure, aggregate=self.aggregate, period=period, threshold=threshold, compare=compare)


SCHEMA = FlatPlan.model_json_schema()


def plan_with_model(question: str, llm: LLM, today: date) -> Plan | None:
    """The model's plan for `question`, validated; None when it is unavailable or its form makes no plan."""
    messages = prompts.plan_request(question, today.isoformat(), WEEKDAYS[Language.EN][today.weekday()])
    try:
        reply = llm.structured(messages, SCHEMA, max_tokens=PLAN_TOKENS)
        return FlatPlan.model_validate(json.loads(reply)).plan()
    except LLMUnavailable as exc:
        log.warning("the model could not plan a history question: %s", exc)
    except (ValueError, ValidationError) as exc:  # JSON that is not a plan (json.JSONDecodeError is a ValueError)
        log.info("the model's plan was not valid: %s", type(exc).__name__)
    return None
