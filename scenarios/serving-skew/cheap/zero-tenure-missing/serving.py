"""Online feature building for the churn endpoint."""

import features

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"


def featurize(request, stats):
    """The model's input vector for one scoring request."""
    row = {
        "age": request["age"],
        "income": float(request[INCOME_FIELD]) * 12,
        "tenure": request.get(TENURE_FIELD) or None,
        "plan": str(request["plan"]).lower(),
    }
    return features.training_vector(row, stats)
