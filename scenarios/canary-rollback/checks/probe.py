# Inside the sandbox: replay generated metric traces through the workspace's controller
# with the candidate's rollout.yaml.


def step_rollouts(inputs):
    import controller

    config = controller.load()
    out = []
    for trace in inputs["traces"]:
        result = controller.simulate(config, trace["metrics"])
        out.append({
            "final": result["final"],
            "at": result["at"],
            "serving": result["serving"],
            "weights": [t["weight"] for t in result["timeline"]],
            "analysed": [t["analysed_before"] for t in result["timeline"]],
        })
    return out
