"""Disputes between libraries and their escalation to the federation office (R13, Plan
VIII.1.e): about a bill, a block, a suspension or a notice, worked out in writing first
between the two libraries, then, if need be, with the office's help and decision."""
