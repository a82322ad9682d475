# Inside the sandbox: write the inputs' policy files next to the workspace's, then replay
# fortnights through the scheduler, take single decisions and load every policy file.


def _write(policies):
    for name, text in policies.items():
        with open(f"policies/{name}.yaml", "w") as fh:
            fh.write(text)


def _raised(exc):
    import policy

    return "refused" if isinstance(exc, policy.PolicyError) else f"raised {type(exc).__name__}"


def step_simulation(inputs):
    import scheduler

    _write(inputs["policies"])
    out = []
    for sim in inputs["simulations"]:
        try:
            fired = scheduler.replay(sim["policy"], [dict(h) for h in sim["hours"]], sim["last_trained_at"], lambda line: None)
            out.append([str(t) for t in fired])
        except Exception as exc:
            out.append(_raised(exc))
    return out


def step_decisions(inputs):
    import scheduler
    import trigger

    _write(inputs["policies"])
    out = []
    for c in inputs["cases"]:
        try:
            settings = scheduler.load_policy(c["policy"])
            out.append(trigger.should_retrain(c["last"], c["now"], c["drift"], c["labels"], settings)["retrain"] is True)
        except Exception as exc:
            out.append(_raised(exc))
    return out


def step_policies(inputs):
    import scheduler

    _write(inputs["policies"])
    out = []
    for name in inputs["policy_files"]:
        try:
            scheduler.load_policy(name)
            out.append("loaded")
        except Exception as exc:
            out.append(_raised(exc))
    return out
