"""Letters and email between libraries: an outbox written with the change, delivered later."""
