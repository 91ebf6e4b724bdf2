"""Suspensions (R12, Plan VIII.1.d): a library restricts or suspends service to another library
that disregards its policies, for a stated term, in writing, with a copy to the office."""
