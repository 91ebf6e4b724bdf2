"""Retention (R16): patron-linked data leaves closed records once they are old enough, while
amounts, dates and the two libraries stay for the statements and the traffic survey (R19)."""
