"""The Telegram face of SleepCoT (python-telegram-bot): the Application and web app (`app`), the handlers by
feature (`handlers/`), what handlers and the scheduler share (`presenting`), the morning scheduler, texts and
rendering. Imports sleepcot and integrations; nothing imports bot."""
