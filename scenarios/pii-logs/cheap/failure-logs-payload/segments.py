"""Customer segments for the retention team's reports (kept in the snapshot).

Log lines name the segment rule, never the customer: the request id is the trace.
"""

import logging

log = logging.getLogger("scoring.segments")


def segment_for(request):
    months = int(request["tenure_months"])
    if months <= 0:
        log.warning("no tenure yet for request %s: segment 'new'", request.get("request_id"))
        return "new"
    if int(request["support_tickets"]) >= 4:
        log.info("request %s is at risk (%s tickets)", request.get("request_id"), request["support_tickets"])
        return "at-risk"
    return "loyal" if months >= 24 else "growing"
