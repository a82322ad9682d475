def decide(candidate, production, previous_candidate, policy):
    return {"promote": False, "reasons": ["manual review required"]}
