"""Online feature building for the churn endpoint.

The endpoint receives the CRM's request (`api/score_request.schema.json`), not a
training row: this module only translates the request into the row training saw, and
the features themselves come from the training definition, so the two paths cannot
drift apart again.
"""

import features

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"


def _tenure(request):
    """Months since the first contract, or None when the CRM does not know it: the
    field absent or null, or -1 from desktop clients before v2.3."""
    value = request.get(TENURE_FIELD)
    if value is None or value < 0:
        return None
    return value


def to_training_row(request):
    """The request as a training row: annual income, tenure in months or None, the
    plan in training's lower-case names."""
    return {
        "age": request["age"],
        "income": float(request[INCOME_FIELD]) * 12,
        "tenure": _tenure(request),
        "plan": str(request["plan"]).lower(),
    }


def featurize(request, stats):
    """The model's input vector for one scoring request."""
    return features.training_vector(to_training_row(request), stats)
