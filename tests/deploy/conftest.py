"""The deploy tests run the real bot like the chat tests do: the same loopback Bot API and `launch`."""

from tests.chat.conftest import launch, telegram  # noqa: F401  (fixtures, shared)
