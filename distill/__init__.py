"""The SleepCoT model pipeline: the question bank, simulated reports, synth -> teach -> train -> export (one
module per stage) and the evaluation that scores models on held-out reports and questions. Imports sleepcot
and the simulated wearable of integrations; never bot."""
