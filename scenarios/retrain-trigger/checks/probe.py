# Inside the sandbox: replay hourly scheduler calls and single decisions.


def _policy():
    import yaml

    with open("policy.yaml") as fh:
        return yaml.safe_load(fh)


def step_simulation(inputs):
    import trigger

    policy = _policy()
    last, labels, fired = inputs["last_trained_at"], 0, []
    for hour in inputs["hours"]:
        labels += hour["labels"]
        decision = trigger.should_retrain(last, hour["now"], hour["drift"], labels, policy)
        if decision["retrain"]:
            fired.append(hour["now"])
            last, labels = hour["now"], 0
    return fired


def step_decisions(inputs):
    import trigger

    policy = _policy()
    return [
        bool(trigger.should_retrain(c["last"], c["now"], c["drift"], c["labels"], policy)["retrain"])
        for c in inputs["cases"]
    ]
