# Inside the sandbox: replay hourly scheduler calls and single decisions, each with the
# policy the inputs give.


def step_simulation(inputs):
    import trigger

    out = []
    for sim in inputs["simulations"]:
        last, labels, fired = sim["last_trained_at"], 0, []
        for hour in sim["hours"]:
            labels += hour["labels"]
            decision = trigger.should_retrain(last, hour["now"], hour["drift"], labels, dict(sim["policy"]))
            if decision["retrain"] is True:
                fired.append(hour["now"])
                last, labels = hour["now"], 0
        out.append(fired)
    return out


def step_decisions(inputs):
    import trigger

    return [
        trigger.should_retrain(c["last"], c["now"], c["drift"], c["labels"], dict(c["policy"]))["retrain"] is True
        for c in inputs["cases"]
    ]
