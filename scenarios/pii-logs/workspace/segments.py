"""Customer segments for the retention team's reports (kept in the snapshot)."""

import logging

log = logging.getLogger("scoring.segments")
EMAIL_FIELD = "{{ email_field }}"


def segment_for(request):
    months = int(request["tenure_months"])
    if months <= 0:
        log.warning("no tenure yet for %s <%s>: segment 'new'", request["name"], request[EMAIL_FIELD])
        return "new"
    if int(request["support_tickets"]) >= 4:
        log.info("customer %s is at risk (%s tickets)", request["name"], request["support_tickets"])
        return "at-risk"
    return "loyal" if months >= 24 else "growing"
