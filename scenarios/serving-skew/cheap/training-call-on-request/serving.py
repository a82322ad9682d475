"""Online feature building for the churn endpoint: one feature definition."""

import features


def featurize(request, stats):
    """The model's input vector for one scoring request."""
    return features.training_vector(request, stats)
