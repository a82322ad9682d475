"""A slice of the {{ region }} corpus and the requests from the security ticket."""

DOCS = [
    {"id": "acme-001", "tenant": "acme", "groups": ["hr"], "text": "Salary bands 2027 for engineering and sales"},
    {"id": "acme-002", "tenant": "acme", "groups": [], "text": "Holiday allowance and how to book leave"},
    {"id": "acme-003", "tenant": "acme", "groups": ["finance"], "text": "Q4 revenue forecast and salary budget"},
    {"id": "acme-004", "tenant": "acme", "groups": [], "text": "Expense policy travel and meals"},
    {"id": "acme-005", "tenant": "acme", "groups": [], "text": "Office opening hours and parking"},
    {"id": "acme-006", "tenant": "acme", "groups": ["hr"], "text": "Performance review calendar and salary review"},
    {"id": "glob-001", "tenant": "globex", "groups": [], "text": "Holiday allowance for contractors"},
    {"id": "glob-002", "tenant": "globex", "groups": ["hr"], "text": "Salary bands for support staff"},
    {"id": "glob-003", "tenant": "globex", "groups": [], "text": "Travel booking and expense claims"},
    {"id": "glob-004", "tenant": "globex", "groups": [], "text": "Booking holiday leave in the HR portal"},
    {"id": "acme-007", "tenant": "acme", "groups": ["support"], "text": "Holiday rota for the support desk"},
    {"id": "init-001", "tenant": "initech", "groups": [], "text": "Holiday calendar and bank holidays"},
    {"id": "init-002", "tenant": "initech", "groups": [], "text": "How to book a meeting room"},
    {"id": "pub-001", "tenant": "{{ shared_tenant }}", "groups": [], "text": "How to reset your password in the assistant"},
    {"id": "pub-002", "tenant": "{{ shared_tenant }}", "groups": [], "text": "Uploading documents and who can read them"},
]

USERS = {
    "u-acme-hr": {"id": "u-acme-hr", "tenant": "acme", "groups": ["hr", "all-staff"]},
    "u-acme-eng": {"id": "u-acme-eng", "tenant": "acme", "groups": ["eng", "all-staff"]},
    "u-acme-hr2": {"id": "u-acme-hr2", "tenant": "acme", "groups": ["all-staff", "hr"]},
    "u-globex": {"id": "u-globex", "tenant": "globex", "groups": ["hr"]},
    "u-initech": {"id": "u-initech", "tenant": "initech", "groups": []},
}

REQUESTS = [
    ("u-acme-hr", "salary bands 2027"),
    ("u-acme-eng", "salary bands 2027"),
    ("u-globex", "salary bands 2027"),
    ("u-initech", "holiday allowance book leave"),
    ("u-initech", "reset password"),
    ("u-acme-hr2", "salary bands 2027"),
]
