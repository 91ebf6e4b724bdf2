"""R19: the traffic survey counts reciprocal borrowing only, not a library checking its own."""

from sqlalchemy import select

from app.extensions import db
from app.verification.models import VerificationCount


def test_a_home_library_checking_its_own_patron_is_not_traffic(app, federation):
    """Hole: HOME verifying HOME's card was counted as reciprocal traffic."""
    federation.admit("HOME", prefixes=["20001"])
    federation.admit("LEND", prefixes=["20002"])
    federation.register("HOME", "2000100000001")
    assert federation.verify("HOME", "2000100000001").status_code == 200
    assert federation.verify("LEND", "2000100000001").status_code == 200
    with app.app_context():
        app.extensions["reciprocity.traffic"].flush()
        rows = db.session.execute(select(VerificationCount.lending_library_id,
                                         VerificationCount.home_library_id,
                                         VerificationCount.eligible)).all()
        db.session.remove()
    assert len(rows) == 1
    lender, home, eligible = rows[0]
    assert lender != home and eligible == 1
