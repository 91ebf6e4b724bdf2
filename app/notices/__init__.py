"""Notices of non-compliance (Plan VIII.1.b): one library tells another, in writing, that it
failed to observe its policies; the step before a suspension (R12) and the record it points to."""
