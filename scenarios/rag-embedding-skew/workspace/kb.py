"""A sample of the support knowledge base and the retrieval golden set."""

DOCS = [
    {"id": "kb-001", "text": "Refund policy: Refunds are issued to the original payment method within 14 days."},
    {"id": "kb-002", "text": "How to request a Refund for a damaged item: open an order and choose Report problem."},
    {"id": "kb-003", "text": "Shipping times: standard delivery takes 3 to 5 working days, Express takes 1 day."},
    {"id": "kb-004", "text": "Changing your delivery address after the order has shipped is not possible."},
    {"id": "kb-005", "text": "Reset your password from the Sign in page with the Forgot password link."},
    {"id": "kb-006", "text": "Two-factor authentication: use an authenticator app or SMS codes."},
    {"id": "kb-007", "text": "Warranty covers manufacturing defects for 24 months from the delivery date."},
    {"id": "kb-008", "text": "Warranty claims need the order number and a photo of the defect."},
    {"id": "kb-009", "text": "Invoices can be downloaded as PDF from the Orders page."},
    {"id": "kb-010", "text": "VAT numbers for business invoices are added under Account settings."},
    {"id": "kb-011", "text": "Return window: most items can be returned within 30 days of delivery."},
    {"id": "kb-012", "text": "Gift cards cannot be refunded or exchanged for cash."},
    {"id": "kb-013", "text": "Price match: we refund the difference if the price drops within 7 days."},
    {"id": "kb-014", "text": "Cancel an order before it ships from the Orders page, Cancel button."},
    {"id": "kb-015", "text": "Account deletion removes order history after the legal retention period."},
    {"id": "kb-016", "text": "Battery safety: do not ship lithium batteries separately from devices."},
]

GOLDEN = [
    ("how long do Refunds take", "kb-001"),
    ("reset password forgot", "kb-005"),
    ("warranty claim photo of defect", "kb-008"),
    ("Express delivery working days", "kb-003"),
    ("download invoice PDF", "kb-009"),
    ("Cancel my order before it ships", "kb-014"),
]
