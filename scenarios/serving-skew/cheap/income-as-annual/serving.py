"""Online feature building for the churn endpoint."""

import features

INCOME_FIELD = "{{ income_field }}"
TENURE_FIELD = "{{ tenure_field }}"


def featurize(request, stats):
    """The model's input vector for one scoring request."""
    row = {
        "age": request["age"],
        "income": float(request[INCOME_FIELD]),
        "tenure": request.get(TENURE_FIELD),
        "plan": str(request["plan"]).lower(),
    }
    return features.training_vector(row, stats)
