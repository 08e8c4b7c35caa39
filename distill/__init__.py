"""The SleepCoT model pipeline: the question bank, simulated reports, and the evaluation that scores models
on them (distillation's synth -> teach -> train -> export is built by the distill issue). Imports sleepcot
and the simulated wearable of integrations; never bot."""
