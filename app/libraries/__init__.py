"""Member libraries, their card prefixes and their API keys (federation office)."""
