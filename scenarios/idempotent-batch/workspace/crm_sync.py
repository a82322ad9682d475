"""The CRM's 06:00 sync, reduced to what matters here (it lives in the CRM team's
repository; this copy is for reading). It reads one run date's predictions through
``batch.read_predictions`` and queues one retention offer per customer whose score is
above the campaign's threshold."""

import batch

THRESHOLD = 0.35


def offers_for(out_dir, run_date, threshold=THRESHOLD):
    """The offers the CRM would queue for ``run_date``: one per (customer, score) row."""
    rows = batch.read_predictions(out_dir, run_date)
    if not rows:
        print(f"crm-sync: no predictions for {run_date} yet; waiting (alert after 08:00)")
        return []
    offers = []
    for customer_id, score in rows:
        if score > threshold:
            offers.append({"customer_id": customer_id, "run_date": run_date, "score": score})
    print(f"crm-sync: {len(rows)} predictions read for {run_date}, {len(offers)} offers queued")
    return offers
