"""The stages in order — synth -> teach -> train -> export — and running one or all of them over a run
directory, skipping the stages already done under the same recipe."""

from __future__ import annotations

from collections.abc import Callable

from distill.run import STAGES, RunDir

Say = Callable[[str], None]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def stage_function(stage: str) -> Callable[[RunDir], dict]:
    """The function that runs `stage` (imported on demand: train and export need torch)."""
    if stage == "synth":
        from distill.synth import synth

        return synth
    if stage == "teach":
        from distill.teach import teach

        return teach
    if stage == "train":
        from distill.train import train

        return train
    if stage == "export":
        from distill.export import export

        return export
    raise ValueError(f"unknown stage {stage!r}: choose from {', '.join(STAGES)} or all")


def run_stages(run: RunDir, stage: str, *, force: bool = False, say: Say = print,
               progress: Progress | None = None) -> dict[str, dict]:
    """Run `stage` ("all": every stage in order). A stage already done is skipped unless `force`; asking for
    one stage needs the stages before it done. `progress(stage, done, total)` follows synth and teach (train
    shows the Trainer's own progress bar)."""
    wanted = STAGES if stage == "all" else (stage,)
    stage_function(wanted[0])  # an unknown stage fails before anything runs
    entries = {}
    for name in wanted:
        if run.done(name) and not force:
            say(f"{name}: already done in {run.root} (--force runs it again)")
            entries[name] = run.stage(name)
            continue
        say(f"{name}: running")
        function = stage_function(name)
        if progress is not None and name in ("synth", "teach"):
            entries[name] = function(run, on_done=lambda done, total, name=name: progress(name, done, total))
        else:
            entries[name] = function(run)
        say(f"{name}: done in {entries[name]['seconds']} s — {entries[name]['counts']}")
    return entries
