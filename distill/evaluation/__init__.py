"""The scoreboard of the product's models (`sleepcot eval`): base vs distilled vs teacher, with and without
retrieval, on held-out simulated reports and the question bank's test split."""

from distill.evaluation.runner import TASKS, EvalConfig, evaluate, load_model, rescore

__all__ = ["TASKS", "EvalConfig", "evaluate", "load_model", "rescore"]
