"""The four member policies of ../shared/reference (000 to 003), written as structured policies.

Each keeps everything a borrower or a borrowing library would need from its source document;
what has no field of its own (priorities, how to ask, copyright conditions) is in `notes`.
"""

# ../shared/reference/000_8ec8ec016ae27fdb.txt: a county library service's ILL notice.
JCLS_000 = {
    "reviewed_on": "2026-09-01",
    "reciprocal_borrowing": {"participates": True},
    "fees": [],
    "interlibrary_loan": {
        "contact": {"name": "Interlibrary Loan Services Department", "phone": "(541) 582-6211"},
        "formats_lent": ["book"],
        "formats_not_lent": ["reference"],
        "lost_materials": {"replacement": "list_price"},
        "charge_cents": 0,
        "photocopy": {"provided": True, "notes": (
            "Copies follow US copyright law (Title 17) and are for private study, scholarship "
            "or research; the library may refuse a copying order that would violate copyright.")},
        "own_patrons": {
            "items_at_a_time": 2,
            "eligible": ["Patrons with a full-service card in good standing"],
            "notes": (
                "Two items per patron requested or checked out at a time. All types of materials "
                "may be requested, but audio, video and genealogy items may be difficult to "
                "borrow; current-year publications and most audio/video are better served by a "
                "suggestion for purchase. Free lenders are asked first; an item is ordered for a "
                "fee only if the patron entered a maximum cost. The branch library calls when an "
                "item is ready; there is no standard time frame. Not following the ILL policies "
                "may cost ILL and borrowing privileges."),
        },
        "notes": ("Interlibrary loan is available during Limited Services; processing may be "
                  "slower."),
    },
}

# ../shared/reference/001_61c2e769e2c3ccf0.txt: a university library's ILL policy.
WOU_001 = {
    "reviewed_on": "2026-08-15",
    "reciprocal_borrowing": {"participates": False,
                             "notes": "Individuals not affiliated with the campus use their "
                                      "local public library."},
    "fees": [{"name": "Overdue interlibrary loan materials", "applies_to": "interlibrary_loan",
              "amount_cents": 100, "basis": "per_day", "also_charged_to_own_patrons": True,
              "notes": "Users also pay replacement costs arising from their requests."}],
    "interlibrary_loan": {
        "contact": {"name": "Interlibrary Loan Unit, Hamersly Library",
                    "email": "ill@wou.example.org",
                    "hours": "8:00 a.m. - 5:00 p.m. Monday - Friday"},
        "formats_lent": ["book"],
        "lost_materials": {"replacement": "list_price"},
        "formats_not_lent": ["non_circulating", "reference", "rare", "bulky_or_fragile",
                             "genealogy", "thesis", "periodical_volume"],
        "loan_days": 14, "renewals": 1,
        "lends_to": ["any_library"],
        "request_methods": ["oclc", "ala_form", "fax"],
        "charge_cents": 0,
        "photocopy": {"provided": True, "notes": (
            "Single copies under sections 108(d) and 108(e) and the CONTU guidelines; requests "
            "must state CCG or CCL. Faxed pages may be limited; longer articles go by U.S. "
            "mail.")},
        "own_patrons": {
            "eligible": ["Registered Western students, including distance and preregistered",
                         "University staff", "Current faculty", "Emeritus faculty",
                         "Teaching Research faculty and staff",
                         "Graduate and research assistants"],
            "not_eligible": ["Guest card holders", "Spouses and family members",
                             "The general public not affiliated with the campus",
                             "Elderhostel library users"],
            "notes": ("No limit on requests. The lending library sets the loan period (expect "
                      "two to four weeks); renewals at least three days before the due date, "
                      "one per item. Items may be recalled at any time; return them to the "
                      "Circulation Desk."),
        },
        "notes": ("Renewed for two weeks except when another patron holds the item or it is a "
                  "week overdue. Non-circulating materials only in special circumstances, with "
                  "the Access Services Librarian's approval. The policy is revised every two "
                  "years."),
    },
}

# ../shared/reference/002_a4c2e224153b480d.txt: a school library system's ILL handbook.
SLS_002 = {
    "reviewed_on": "2026-06-30",
    "reciprocal_borrowing": {"participates": False},
    "interlibrary_loan": {
        "contact": {"name": "HFM BOCES School Library System office",
                    "email": "sls@hfm.example.org"},
        "formats_lent": ["book", "magazine", "article_copy"],
        "formats_not_lent": ["rare", "bulky_or_fragile", "in_demand", "reference"],
        "loan_days": 28,
        "lends_to": ["school_libraries", "public_libraries", "academic_libraries",
                     "special_libraries"],
        "request_methods": ["email", "fax", "phone", "online_form"],
        "lost_materials": {"replacement": "list_price_or_equivalent_title", "notes": (
            "Replacement is the physical replacement of the item by a method both libraries "
            "agree on; an out-of-print item may be replaced by an agreed equivalent title, and "
            "a processing fee may then apply.")},
        "photocopy": {"provided": True, "notes": (
            "Photocopies need not be returned. No more than six articles published within five "
            "years from one periodical title in a calendar year (CCG/CCL).")},
        "own_patrons": {"eligible": ["Requests submitted or approved by library personnel"]},
        "notes": ("Loans are four weeks unless the lending library says otherwise; renewals are "
                  "at its discretion. Items not usually lent may be lent by special agreement. "
                  "The lending library may limit items on a single subject. Materials go "
                  "between libraries, never directly to patrons; items may be recalled."),
    },
}

# ../shared/reference/003_0aaf1d68051e7b03.txt: a college library's ILL FAQ.
JJAY_003 = {
    "reviewed_on": "2026-10-01",
    "reciprocal_borrowing": {"participates": False},
    "interlibrary_loan": {
        "contact": {"name": "ILL office, John Jay College Library",
                    "email": "ill@jjay.example.org"},
        "formats_lent": ["book", "article_copy", "transcript", "dvd"],
        "formats_not_lent": ["reference"],
        "lost_materials": {"replacement": "list_price"},
        "photocopy": {"provided": True},
        "loan_days": 56, "renewals": 1,
        "lends_to": ["nonprofit_institutions", "academic_institutions", "libraries_abroad"],
        "does_not_lend_to": ["law_firms"],
        "request_methods": ["oclc", "ala_form", "email"],
        "charge_cents": 0,
        "own_patrons": {
            "requests_per_week": 10,
            "eligible": ["Current faculty and their authorized undergraduate research assistants",
                         "Graduate students", "Full-time staff",
                         "Undergraduates: articles and scans only",
                         "Visiting scholars cleared by the Office for the Advancement of Research"],
            "not_eligible": ["Alumni"],
            "notes": ("For research only; copyright fees are possible and announced by email. "
                      "A proxy may collect items; users answer for items their proxy loses. "
                      "Articles stay downloadable for thirty days."),
        },
        "notes": ("Free resource sharing. Priority to CUNY schools, IDS libraries and "
                  "institutions in New York State. Criminal justice and fire science materials "
                  "are the unique collection. Videos and DVDs go to other CUNY libraries only: "
                  "email to confirm. OCLC symbol VVJ; trial transcripts by reel and trial "
                  "number, OCLC 25107755."),
    },
}

REFERENCE_POLICIES = {
    # code: (library type, policy, source document)
    "OR0000": ("public", JCLS_000, "000_8ec8ec016ae27fdb.txt"),
    "OR0001": ("academic", WOU_001, "001_61c2e769e2c3ccf0.txt"),
    "NY0002": ("school", SLS_002, "002_a4c2e224153b480d.txt"),
    "NY0003": ("academic", JJAY_003, "003_0aaf1d68051e7b03.txt"),
}
