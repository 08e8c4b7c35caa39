"""The SleepCoT distillation pipeline (synth -> teach -> train -> export). Built by the distill issue;
imports sleepcot only."""
