"""The simulated wearable: seeded, physiologically plausible nights for the demo and for distillation.

Seven personas, each a plausible user (`persona_profile`) whose nights show one characteristic problem:
a healthy sleeper, a chronic short sleeper, insomnia, possible sleep apnea, a rotating shift worker, evening
alcohol with late caffeine, and an older adult. Every sleep period is a pure function of (persona, seed,
local date, today): its random generator is seeded from a SHA-256 of (persona, seed, date), never from a
running generator, so a night comes back identically whatever range is fetched. Different seeds are
different people: each seed also draws the person's own baseline around the persona's norms.

The night whose local date is `today` is the persona's "story night", the one that makes the demo
interesting: it shows the persona's problem clearly (for the healthy persona: a late coffee, logged as a
tag, and a night with about a third less deep sleep than usual). The shift worker's rota is laid out
backwards from `today`, so the story night is always the first night back after a block of night shifts.

Each night carries a hypnogram in 30 s epochs (sleep-onset latency, ~90 min cycles with deep sleep
front-loaded and REM back-loaded, wake bouts) whose per-stage totals are exactly the summary's figures.
Times are in the user's local UTC offset at each instant (fixed offsets, so that subtracting two of them
gives elapsed time across a DST change).

One module each: personas, days (what each period should look like), nights (plans made into Nights with
their hypnograms), adapter."""

from integrations.simulator.adapter import SimulatorAdapter
from integrations.simulator.personas import Persona, persona_profile

__all__ = ["Persona", "SimulatorAdapter", "persona_profile"]
