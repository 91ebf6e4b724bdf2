"""The event feed: every state change that concerns a library, written with the change."""
