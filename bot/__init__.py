"""The Telegram face of SleepCoT (python-telegram-bot). Built by the bot issue; imports sleepcot only."""
