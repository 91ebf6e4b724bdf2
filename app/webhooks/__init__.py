"""Push delivery of each library's event feed to its own HTTPS endpoints, signed (Standard
Webhooks), at least once and in order per library."""
