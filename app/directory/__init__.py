"""The shared directory: members publish their lending policies, anyone reads them (R5)."""
