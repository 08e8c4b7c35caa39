"""SleepCoT core: configuration, domain types, store, analysis and the grounded coach."""

__version__ = "0.1.0"
