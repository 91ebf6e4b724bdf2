"""The four member policies of the reference documents (000 to 003), as structured policies,
and a ledger that accounts for every line of each source.

Each ledger entry quotes the source (a line, or a span from one quote to another) and says
where it went: `Field(path, value)`, a field that holds it (asserted as read back from the
directory); `Notes(path, words)`, kept as free text in a notes field (the words asserted);
`Supplied(path, reason)`, a value R5 requires that the source does not state; or
`Left(reason)`, deliberately not in the policy, with the reason. The tests check that every
non-empty line of every source is covered by some entry.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """The statement is this field's value."""

    path: str
    value: object


@dataclass(frozen=True)
class Notes:
    """The statement is kept in a notes field (free text that no rule needs to check)."""

    path: str
    words: str


@dataclass(frozen=True)
class Left:
    """The statement is deliberately not part of the directory's policy."""

    reason: str


@dataclass(frozen=True)
class Supplied:
    """Not in the source: a value R5 requires of every published policy (shown as such)."""

    path: str
    reason: str


FOR_OWN_PATRONS = "How the library's own patrons use ILL: procedure, not lending policy."
LOGIN = "Instructions for the college's own users to log in to its ILL system."
NAVIGATION = "Web page navigation, not policy."
HEADING = "A heading; what follows is accounted for line by line."
COPYRIGHT_LAW = ("Copyright law and guidelines in general; the library's own photocopy terms "
                 "are in interlibrary_loan.photocopy.")
STATISTICS = "The system's internal statistics reporting: no reader of the directory acts on it."
SYSTEM = "Describes the cooperative systems around the school library system, not its policy."

# 000: a county library service's ILL notice to its own patrons ----------------------------
JCLS_000 = {
    "reviewed_on": "2026-09-01",
    "reciprocal_borrowing": {"participates": True},
    "fees": [],
    "interlibrary_loan": {
        "contact": {"name": "Interlibrary Loan Services Department", "phone": "(541) 582-6211"},
        "formats_lent": ["book"],
        "formats_not_lent": ["reference"],
        "charge_cents": 0,
        "lost_materials": {"methods": ["list_price"], "processing_fee": "unstated"},
        "photocopy": {"provided": True, "notes": (
            "Copies follow US copyright law (Title 17) and are for private study, scholarship "
            "or research; the library may refuse a copying order that would violate copyright.")},
        "own_patrons": {
            "items_at_a_time": 2,
            "eligible": ["Patrons with a full-service card in good standing"],
            "notes": (
                "All types of materials may be requested, but audio, video and genealogy items "
                "may be difficult to borrow; current-year publications and most audio/video "
                "are better served by a suggestion for purchase. Free lenders are asked first; "
                "an item is ordered for a fee only if the patron entered a maximum cost. The "
                "branch library calls when an item is ready; there is no standard time frame. "
                "Patrons pick up and return items on time. Requesting through the online form "
                "accepts these policies; not following them may cost ILL and borrowing "
                "privileges."),
        },
        "notes": ("Interlibrary loan is available during Limited Services; processing may be "
                  "slower."),
    },
}

LEDGER_000 = [
    ("NOTICE: Interlibrary Loan is now available during Limited Services",
     Notes("interlibrary_loan.notes", "available during Limited Services")),
    ("Patrons with full-service cards may request two items at a time",
     Field("interlibrary_loan.own_patrons.items_at_a_time", 2)),
    ("If you can’t find an item in the library catalog",
     Field("interlibrary_loan.own_patrons.eligible",
           ["Patrons with a full-service card in good standing"])),
    ("All types of materials may be requested",
     Notes("interlibrary_loan.own_patrons.notes", "audio, video and genealogy items")),
    ("When searching the ILL catalog (WorldCat)",
     Left("Advice on searching WorldCat against the library's own catalogue.")),
    ("Only two ILL items total per patron",
     Field("interlibrary_loan.own_patrons.items_at_a_time", 2)),
    ("The ILL team always requests from free lenders first",
     Notes("interlibrary_loan.own_patrons.notes", "Free lenders are asked first")),
    ("You will be contacted if for any reason",
     Notes("interlibrary_loan.own_patrons.notes", "branch library calls")),
    ("Please be aware that there is no standard timeframe",
     Notes("interlibrary_loan.own_patrons.notes", "no standard time frame")),
    ("Interlibrary Loan Policies", Left(HEADING)),
    ("It is the patron’s responsibility to pick up",
     Notes("interlibrary_loan.own_patrons.notes", "pick up and return items on time")),
    ("Only two items per patron may be requested/active",
     Field("interlibrary_loan.own_patrons.items_at_a_time", 2)),
    ("A full-service JCLS Library Card in good standing is required",
     Field("interlibrary_loan.own_patrons.eligible",
           ["Patrons with a full-service card in good standing"])),
    ("Failure to adhere to Interlibrary Loan policies",
     Notes("interlibrary_loan.own_patrons.notes", "may cost ILL and borrowing privileges")),
    ("The copyright law of the United States (Title 17",
     Notes("interlibrary_loan.photocopy.notes", "may refuse a copying order")),
    ("Requesting an ILL through the online form",
     Notes("interlibrary_loan.own_patrons.notes", "online form accepts these policies")),
    ("call the Interlibrary Loan Services Department at (541) 582-6211",
     Field("interlibrary_loan.contact.phone", "(541) 582-6211")),
]
SUPPLIED_000 = [
    Supplied("reciprocal_borrowing.participates", "A public full member takes part (R1)."),
    Supplied("interlibrary_loan.formats_lent", "R5: the notice speaks only of borrowing."),
    Supplied("interlibrary_loan.formats_not_lent", "R5: the notice speaks only of borrowing."),
    Supplied("interlibrary_loan.lost_materials", "R5: the notice is silent on lost items."),
]

# 001: a university library's ILL policy ---------------------------------------------------
WOU_001 = {
    "reviewed_on": "2026-08-15",
    "review_cycle_months": 24,
    "confidentiality": {"records_confidential": True,
                        "released_only_by": ["court_order", "due_process"],
                        "notes": "Due process reviewed and approved by the University's legal "
                                 "counsel."},
    "opening_hours": [{"days": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                       "opens": "08:00", "closes": "17:00"}],
    "opening_hours_notes": "Hours of the Interlibrary Loan Unit; reference staff help when ILL "
                           "staff are away.",
    "reciprocal_borrowing": {"participates": False,
                             "notes": "Individuals not affiliated with the campus use their "
                                      "local public library."},
    "fees": [{"name": "Overdue interlibrary loan materials", "applies_to": "interlibrary_loan",
              "amount_cents": 100, "basis": "per_day", "also_charged_to_own_patrons": True,
              "notes": "Users also pay replacement costs arising from their requests."}],
    "interlibrary_loan": {
        "contact": {"name": "Interlibrary Loan Unit, Hamersly Library",
                    "email": "ill@wou.example.org",
                    "hours": "8:00 a.m. to 5:00 p.m., Monday to Friday"},
        "formats_lent": ["book"],
        "conditional_formats": [{"format": "non_circulating", "lends": "special_agreement",
                                 "notes": "Only in special circumstances, with the approval "
                                          "of the Access Services Librarian."}],
        "loan_days": 14, "renewals": 1, "renewal_days": 14,
        "no_renewal_if_on_hold": True, "no_renewal_when_overdue_days": 7,
        "recall_any_time": True,
        "lends_to": ["any_library"],
        "request_methods": ["oclc", "ala_form", "fax"],
        "charge_cents": 0,
        "lost_materials": {"methods": ["list_price"], "processing_fee": "unstated"},
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
            "notes": ("No limit on requests; they are taken in turn, until the 'not useful "
                      "after' date. Free of charge; users pay overdue fines and replacement "
                      "costs. Patrons should not expect through ILL: titles Western owns, "
                      "titles in the Orbis catalog, reference works, rare books, newspapers and "
                      "bulky materials, some genealogy, some theses, whole volumes of "
                      "periodicals. The lending library sets the loan period (expect two to "
                      "four weeks) and its conditions of use; renewals at least three days "
                      "before the due date, one per item. Return items to the Circulation "
                      "Desk; not complying may cost borrowing privileges."),
        },
        "notes": ("Service follows the ALA, OUS, Oregon Library Association and OCLC "
                  "interlibrary loan codes. The ILL Unit recalls overdue items. Service is "
                  "sometimes limited during intersession."),
    },
}

LEDGER_001 = [
    (("Library and Media Services", "See also Interlibrary Loan Webpage"), Left(NAVIGATION)),
    (("Interlibrary loan (ILL) is a cooperative effort",
      "regulations and protocols of this library and other libraries"),
     Notes("interlibrary_loan.notes", "ALA, OUS, Oregon Library Association and OCLC")),
    ("The Hamerlsy Library exists to help serve",
     Left("Mission statement; 'all users treated on an equal basis' is R3 itself.")),
    ("Confidentiality of records", Left(HEADING)),
    ("The circulation records and borrower application files",
     Field("confidentiality.released_only_by", ["court_order", "due_process"])),
    (("Copyright policy statement", "with or without royalty fees"), Left(COPYRIGHT_LAW)),
    (("The following categories of library users are eligible", "graduate assistants"),
     Field("interlibrary_loan.own_patrons.eligible", WOU_001["interlibrary_loan"][
         "own_patrons"]["eligible"])),
    (("The following categories of library users are NOT eligible", "Elderhostel"),
     Field("interlibrary_loan.own_patrons.not_eligible", WOU_001["interlibrary_loan"][
         "own_patrons"]["not_eligible"])),
    ("The library participates in resource sharing with any information agency",
     Field("interlibrary_loan.lends_to", ["any_library"])),
    ("We will accept OCLC, ALA, and FAX",
     Field("interlibrary_loan.request_methods", ["ala_form", "fax", "oclc"])),
    ("when there is a hold for another patron",
     Field("interlibrary_loan.no_renewal_if_on_hold", True)),
    ("when the material is already a week overdue",
     Field("interlibrary_loan.no_renewal_when_overdue_days", 7)),
    ("Non-circulating library materials will not be loaned",
     Field("interlibrary_loan.conditional_formats.0.lends", "special_agreement")),
    ("The number of pages sent via fax may be limited",
     Notes("interlibrary_loan.photocopy.notes", "Faxed pages may be limited")),
    ("There is no limit on the number of ILL requests",
     Notes("interlibrary_loan.own_patrons.notes", "No limit on requests")),
    (("Patrons should not expect to obtain", "Entire volumes or issues of periodicals"),
     Notes("interlibrary_loan.own_patrons.notes", "Patrons should not expect through ILL")),
    ("Interlibrary requests are submitted electronically", Left(FOR_OWN_PATRONS)),
    ("The interlibrary loan staff will attempt to obtain",
     Notes("interlibrary_loan.own_patrons.notes", "not useful after")),
    ("It is the library's policy to provide interlibrary loan services free",
     Field("interlibrary_loan.charge_cents", 0)),
    ("Users of ILL services are responsible for all overdue fines",
     Notes("fees.0.notes", "replacement costs")),
    ("There is a $1.00 per day charge", Field("fees.0.amount_cents", 100)),
    ("The lending library determines the loan period",
     Notes("interlibrary_loan.own_patrons.notes", "expect two to four weeks")),
    ("Renewals of ILL materials should be requested at least three days",
     Notes("interlibrary_loan.own_patrons.notes", "three days before the due date")),
    ("The lending library also establishes the conditions",
     Notes("interlibrary_loan.own_patrons.notes", "conditions of use")),
    ("A borrower's failure to comply",
     Notes("interlibrary_loan.own_patrons.notes", "may cost borrowing privileges")),
    ("All ILL materials should be returned directly to the Circulation Desk",
     Field("interlibrary_loan.recall_any_time", True)),
    ("Interlibrary loan unit hours are:", Left(HEADING)),
    ("8:00 a.m. - 5:00 p.m. Monday - Friday.",
     Field("opening_hours.0.days", ["friday", "monday", "thursday", "tuesday", "wednesday"])),
    ("Reference staff will assist with requests",
     Notes("opening_hours_notes", "reference staff help")),
    ("ILL services are sometimes limited during intersession",
     Notes("interlibrary_loan.notes", "intersession")),
    ("this interlibrary loan policy will be revised and updated every two years",
     Field("review_cycle_months", 24)),
]
# Lines 116's two weeks and renewal: one line holds both.
LEDGER_001.insert(10, ("The loan period is two weeks from date of the receipt",
                       Field("interlibrary_loan.loan_days", 14)))
LEDGER_001.insert(11, ("Materials can be renewed for two weeks",
                       Field("interlibrary_loan.renewal_days", 14)))
SUPPLIED_001 = [
    Supplied("interlibrary_loan.contact.email", "R5: a contact that reaches a person; the "
                                                "source names the unit but gives no address."),
    Supplied("interlibrary_loan.formats_lent", "R5: the source implies its circulating books."),
    Supplied("interlibrary_loan.lost_materials", "R5: silent on what a borrowing library pays."),
]

# 002: a school library system's ILL handbook ----------------------------------------------
SLS_002 = {
    "reviewed_on": "2026-06-30",
    "reciprocal_borrowing": {"participates": False},
    "interlibrary_loan": {
        "contact": {"name": "HFM BOCES School Library System office",
                    "email": "sls@hfm.example.org"},
        "formats_lent": ["book", "magazine", "article_copy", "dvd", "audiobook"],
        "conditional_formats": [
            {"format": term, "lends": "special_agreement"}
            for term in ("rare", "bulky_or_fragile", "in_demand", "reference")],
        "loan_days": 28, "loan_days_may_vary": True,
        "renewals_at_lender_discretion": True, "recall_any_time": True,
        "subject_limit": True,
        "lends_to": ["school_libraries", "public_libraries", "academic_libraries",
                     "special_libraries"],
        "request_methods": ["email", "fax", "phone", "online_form"],
        "lost_materials": {
            "methods": ["replacement_copy", "list_price", "list_price_or_equivalent_title"],
            "processing_fee": "unstated",
            "notes": "Replacement is the physical replacement of the item by a method both "
                     "libraries agree on. Tell the other library of damage or loss as soon as "
                     "possible."},
        "photocopy": {"provided": True, "notes": (
            "Photocopies need not be returned. No more than six articles published within five "
            "years from one periodical title in a calendar year, and no more than six filled "
            "requests from one work (CCG/CCL).")},
        "own_patrons": {"eligible": ["Requests submitted or approved by library personnel"],
                        "notes": "Member schools request in this order: HFM schools, other "
                                 "school library systems, public library systems, FMCC, "
                                 "academic libraries, special libraries; spread requests among "
                                 "holders."},
        "notes": ("The school library media specialist at the lending library decides each "
                  "loan. Materials go between libraries, never directly to patrons. Overdue "
                  "notices follow the lending library's procedures. Violations go to the SLS "
                  "Director. The policy is reviewed periodically under the SLS Plan of "
                  "Service."),
    },
}

LEDGER_002 = [
    (("Skip to content", "Library System Identifiers | Interlibrary"), Left(NAVIGATION)),
    (("Library System Identifiers", "serving public libraries in its region"), Left(SYSTEM)),
    ("Interlibrary Loan Policies", Left(HEADING)),
    (("A. Definition", "no substitute for the development"),
     Left("Definition and purpose of interlibrary loan in general.")),
    ("C. Scope", Left(HEADING)),
    ("The final decision regarding the loan of a resource",
     Notes("interlibrary_loan.notes", "decides each loan")),
    ("A print, non-print resource or a copy of a print resource",
     Field("interlibrary_loan.formats_lent",
           ["article_copy", "audiobook", "book", "dvd", "magazine"])),
    ("may not be loaned on a usual basis",
     Field("interlibrary_loan.conditional_formats.3.lends", "special_agreement")),
    ("Rare, unique or valuable material",
     Field("interlibrary_loan.conditional_formats.2.format", "rare")),
    ("Bulky or fragile items", Field("interlibrary_loan.conditional_formats.0.format",
                                     "bulky_or_fragile")),
    ("Resources in demand at the lending library",
     Field("interlibrary_loan.conditional_formats.1.format", "in_demand")),
    ("Reference books and other resources",
     Field("interlibrary_loan.conditional_formats.3.format", "reference")),
    ("The loan period will be four weeks unless an alternate period",
     Field("interlibrary_loan.loan_days_may_vary", True)),
    ("The lending library may limit the number of items loaned pertaining to a single subject",
     Field("interlibrary_loan.subject_limit", True)),
    ("D. Copyright Compliance", Left(HEADING)),
    ("The current copyright law shall be adhered to", Left(COPYRIGHT_LAW)),
    ("The acceptable methods of requesting materials",
     Field("interlibrary_loan.request_methods", ["email", "fax", "online_form", "phone"])),
    ("must be submitted or approved by library personnel",
     Field("interlibrary_loan.own_patrons.eligible",
           ["Requests submitted or approved by library personnel"])),
    ("All ILL transactions must be sent between borrowing and lending libraries",
     Notes("interlibrary_loan.notes", "never directly to patrons")),
    (("F. Responsibilities of the School Library System", "Directory of School Library"),
     Left("The system office's own duties (a union list, a staff directory).")),
    (("G. Violation of Policy", "The SLS Director should be notified"),
     Notes("interlibrary_loan.notes", "Violations go to the SLS Director")),
    ("The SLS Office will endeavor to rectify", Left("The system office's own duty.")),
    (("H. Reviewed/Revised", "reviewed periodically and revised"),
     Notes("interlibrary_loan.notes", "reviewed periodically")),
    (("Interlibrary Loan Procedures", "Use HFM SLS listserv"),
     Left("Email etiquette for member schools' requests: procedure, not policy.")),
    (("I. Borrowing", "It is the borrower’s responsibility to monitor"), Left(COPYRIGHT_LAW)),
    (("A. Request", "HFM SLS Office (if unable to locate"), Left(FOR_OWN_PATRONS)),
    (("Request materials from the locations in the following order",
      "spread among different holders"),
     Notes("interlibrary_loan.own_patrons.notes", "request in this order")),
    (("2. Provide the following information", "Your Contact Information"),
     Left(FOR_OWN_PATRONS)),
    ("Choose the library’s preferred method of contact",
     Field("interlibrary_loan.request_methods", ["email", "fax", "online_form", "phone"])),
    (("For In-System check", "For Out-of-System check"), Left(FOR_OWN_PATRONS)),
    (("4. Keep a record of all transactions", "collating and reporting purposes"),
     Left(STATISTICS)),
    (("B. When Materials Arrive", "Charge the resource out to the patron"),
     Left(FOR_OWN_PATRONS)),
    ("The period of loan may be renewed at the discretion of the lending library",
     Field("interlibrary_loan.renewals_at_lender_discretion", True)),
    ("Resources may be recalled by the lending library",
     Field("interlibrary_loan.recall_any_time", True)),
    ("C. Return of Materials", Left(HEADING)),
    ("Photocopied materials need not be returned",
     Notes("interlibrary_loan.photocopy.notes", "need not be returned")),
    ("Material should be inspected prior to return", Left(HEADING)),
    ("Responsibility", Left(HEADING)),
    ("Replacement of item, for purposes of this policy",
     Field("interlibrary_loan.lost_materials.methods",
           ["list_price", "list_price_or_equivalent_title", "replacement_copy"])),
    ("The lending/borrowing library should be informed",
     Notes("interlibrary_loan.lost_materials.notes", "as soon as possible")),
    ("Costs", Left(HEADING)),
    ("Replacement cost is defined as current list price",
     Field("interlibrary_loan.lost_materials.methods",
           ["list_price", "list_price_or_equivalent_title", "replacement_copy"])),
    ("an equivalent title may be agreed upon",
     Field("interlibrary_loan.lost_materials.processing_fee", "unstated")),
    ("Record date item was returned", Left(STATISTICS)),
    (("Loaning", "Note any serious physical defects"),
     Left("How a lending school prepares an item: procedure.")),
    ("Include due date on loaned resource", Left(HEADING)),
    ("Due date should be computed as four weeks", Field("interlibrary_loan.loan_days", 28)),
    (("Consider delivery schedules", "Promptly notify requesting library"),
     Left("How a lending school packs, records and answers requests: procedure.")),
    (("B. When Materials Are Returned", "Inspect the resource for missing items"),
     Left("How a lending school checks returns: procedure (costs as in Return of "
          "Materials, above).")),
    (("• Responsibility", "Record statistics of the transaction."),
     Field("interlibrary_loan.lost_materials.processing_fee", "unstated")),
    (("Accurate record keeping and statistical reporting are vital to the ongoing evaluation",
      "A Monthly Interlibrary Loan Statistics form will be sent to each library."),
     Left(STATISTICS)),
    (("C. Overdue Resources", "procedures."),
     Notes("interlibrary_loan.notes", "Overdue notices follow")),
    ("Revised and Approved:", Left("An empty approval line.")),
    (("Appendix – Copyright Guidelines", "Guidelines for Interlibrary Loan"),
     Left(COPYRIGHT_LAW)),
    (("Systematic photocopying of copyrighted materials",
      "No more than six filled requests per requesting entity"),
     Notes("interlibrary_loan.photocopy.notes", "six filled requests from one work")),
    (("Copies may be made beyond limitations", "Top"), Left(COPYRIGHT_LAW)),
]
SUPPLIED_002 = [
    Supplied("interlibrary_loan.contact.email", "R5: the handbook names the office only."),
]

# 003: a college library's ILL FAQ ---------------------------------------------------------
JJAY_003 = {
    "reviewed_on": "2026-10-01",
    "reciprocal_borrowing": {"participates": False},
    "interlibrary_loan": {
        "contact": {"name": "ILL office, John Jay College Library",
                    "email": "ill@jjay.example.org"},
        "formats_lent": ["book", "article_copy", "transcript"],
        "conditional_formats": [{
            "format": "dvd", "lends": "groups_only",
            "groups": [{"kind": "consortium", "name": "CUNY"}],
            "notes": "Email to confirm the title can be lent."}],
        "loan_days": 56, "renewals": 1,
        "lends_to": ["nonprofit_institutions", "academic_institutions", "libraries_abroad"],
        "does_not_lend_to": ["law_firms"],
        "priorities": [{"kind": "consortium", "name": "CUNY"},
                       {"kind": "consortium", "name": "IDS"},
                       {"kind": "state", "name": "NY"}],
        "request_methods": ["oclc", "ala_form", "email"],
        "oclc_symbol": "VVJ",
        "charge_cents": 0,
        "lost_materials": {"methods": ["list_price"], "processing_fee": "unstated"},
        "photocopy": {"provided": True, "notes": "Journal articles are supplied."},
        "own_patrons": {
            "requests_per_week": 10,
            "eligible": ["Current faculty and their authorized undergraduate research assistants",
                         "Graduate students", "Full-time staff",
                         "Undergraduates: articles and scans only",
                         "Visiting scholars cleared by the Office for the Advancement of Research"],
            "not_eligible": ["Alumni"],
            "notes": ("For research only, for materials not at John Jay or through CLICS; "
                      "copyright fees are possible and announced by email. Articles per journal "
                      "may be limited by copyright guidelines. A proxy may collect items; users "
                      "answer for items their proxy loses. Loans from other libraries last "
                      "three weeks to a month; renew in the ILL account where the lender "
                      "allows. Articles stay downloadable for thirty days. Users are emailed "
                      "when items arrive; books wait at the first-floor circulation desk."),
        },
        "notes": ("Criminal justice and fire science materials are the unique collection and "
                  "are prioritised. Renewals via OCLC WorldShare or email. Trial transcripts: "
                  "request by reel and trial number, OCLC 25107755."),
    },
}

LEDGER_003 = [
    ("Interlibrary Loan (ILL)", Left(HEADING)),
    (("New user?", "For additional help with your John Jay username"), Left(LOGIN)),
    (("Frequently asked questions", "What can I request?"), Left(HEADING)),
    ("Current John Jay faculty and their authorized undergraduate research assistants, graduate "
     "students, and full-time staff can can request",
     Field("interlibrary_loan.own_patrons.eligible",
           JJAY_003["interlibrary_loan"]["own_patrons"]["eligible"])),
    ("Interlibrary Loan is for research purposes only",
     Notes("interlibrary_loan.own_patrons.notes", "For research only")),
    ("How many requests can I submit?", Left(HEADING)),
    ("Up to ten items per week", Field("interlibrary_loan.own_patrons.requests_per_week", 10)),
    ("Who can use ILL?", Left(HEADING)),
    ("John Jay alumni do not have ILL privileges",
     Field("interlibrary_loan.own_patrons.not_eligible", ["Alumni"])),
    ("How do I renew my book(s)?", Left(HEADING)),
    ("Request a renewal by logging into your ILL account",
     Notes("interlibrary_loan.own_patrons.notes", "renew in the ILL account")),
    ("How long can I borrow material?", Left(HEADING)),
    ("Loan periods for books and other materials vary",
     Notes("interlibrary_loan.own_patrons.notes", "three weeks to a month")),
    ("How will I know when my ILL request has arrived?", Left(HEADING)),
    ("We will email you when your item arrives",
     Notes("interlibrary_loan.own_patrons.notes", "first-floor circulation desk")),
    (("What is the status of my ILL request?", "Under the \"Outstanding\" tab"), Left(LOGIN)),
    ("For libraries requesting materials from John Jay", Left(HEADING)),
    ("Who do we lend to?", Left(HEADING)),
    ("We lend to non-profit and academic institutions anywhere in the world",
     Field("interlibrary_loan.priorities", JJAY_003["interlibrary_loan"]["priorities"])),
    ("What materials do we lend?", Left(HEADING)),
    ("We prioritize requests for criminal justice and fire science materials",
     Field("interlibrary_loan.conditional_formats.0.groups",
           [{"kind": "consortium", "name": "CUNY"}])),
    ("How can libraries submit their requests?", Left(HEADING)),
    ("Requests will be accepted via OCLC. Our OCLC symbol is VVJ",
     Field("interlibrary_loan.oclc_symbol", "VVJ")),
    ("How much do we charge?", Left(HEADING)),
    ("We do not charge for ILL", Field("interlibrary_loan.charge_cents", 0)),
    ("How long do we loan items for?", Left(HEADING)),
    ("Eight weeks. One renewal may be requested", Field("interlibrary_loan.loan_days", 56)),
    ("How do we request Trial Transcripts?", Left(HEADING)),
    ("Submit a loan request via OCLC WorldShare to symbol VVJ",
     Notes("interlibrary_loan.notes", "OCLC 25107755")),
    (("Request books, articles and more!", "Articles are ready to download"),
     Left(FOR_OWN_PATRONS)),
    ("Contact Us", Left("A heading with no address after it in the source.")),
]
SUPPLIED_003 = [
    Supplied("interlibrary_loan.contact.email", "R5: the FAQ's addresses are missing."),
    Supplied("interlibrary_loan.lost_materials", "R5: the FAQ is silent on lost items."),
]

REFERENCE_POLICIES = {
    # code: (library type, policy, source document)
    "OR0000": ("public", JCLS_000, "000_8ec8ec016ae27fdb.txt"),
    "OR0001": ("academic", WOU_001, "001_61c2e769e2c3ccf0.txt"),
    "NY0002": ("school", SLS_002, "002_a4c2e224153b480d.txt"),
    "NY0003": ("academic", JJAY_003, "003_0aaf1d68051e7b03.txt"),
}
LEDGERS = {"OR0000": (LEDGER_000, SUPPLIED_000), "OR0001": (LEDGER_001, SUPPLIED_001),
           "NY0002": (LEDGER_002, SUPPLIED_002), "NY0003": (LEDGER_003, SUPPLIED_003)}
