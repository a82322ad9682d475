# Inside the sandbox: drive the candidate's logger through generated sequences of
# decisions, reviews and purges, with the clock the sequence says, and report the
# records left in the store.


def step_records(inputs):
    import copy
    import datetime

    import yaml  # noqa: F401  (the logger may use it)

    import audit_logger
    import store

    out = []
    for case in inputs["cases"]:
        now = [None]
        try:
            s = store.MemoryStore()
            logger = audit_logger.EventLogger(copy.deepcopy(case["policy"]), s, lambda: now[0])
            for op in case["ops"]:
                now[0] = datetime.datetime.fromisoformat(op["at"])
                if op["op"] == "decision":
                    logger.log_decision(copy.deepcopy(op["event"]))
                elif op["op"] == "review":
                    logger.log_review(copy.deepcopy(op["event"]))
                else:
                    logger.purge()
            out.append({"records": s.records})
        except Exception as exc:
            out.append({"error": type(exc).__name__})
    return out
