"""Card verification: may a visiting patron borrow here under reciprocal borrowing (R2, R14)?"""
