"""Online feature building for the churn endpoint.

Serving calls the training definition itself: one feature definition, so the two
paths cannot drift apart again.
"""

import features


def featurize(request, stats):
    """The model's input vector for one request (a dict like a training row)."""
    return features.training_vector(request, stats)
