# Inside the sandbox: featurize requests through serving.py; data only.


def _vectors(inputs, requests):
    import features
    import serving

    stats = features.fit_stats(inputs["train"])
    out = []
    for req in requests:
        try:
            out.append([float(x) for x in serving.featurize(dict(req), stats)])
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out


def step_features_match_training(inputs):
    return _vectors(inputs, inputs["complete"])


def step_missing_tenure_like_training(inputs):
    return _vectors(inputs, inputs["missing_tenure"])


def step_unseen_plan_like_training(inputs):
    return _vectors(inputs, inputs["unseen_plan"])


def step_scores_match_offline(inputs):
    import model

    return [v if isinstance(v, dict) else model.predict(v) for v in _vectors(inputs, inputs["complete"] + inputs["missing_tenure"])]
