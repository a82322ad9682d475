"""Replay Tuesday's promotion stage for every pipeline: python run.py"""

from pipeline import load_registry, promotion_stage


def main():
    registry = load_registry()
    for pipeline in registry:
        candidate, production, decision = promotion_stage(pipeline, registry)
        verdict = "PROMOTE" if decision["promote"] else "keep production"
        against = f"v{production['version']}" if production else "nothing in production"
        print(f"{pipeline}: candidate v{candidate['version']} vs {against}: {verdict}")
        for reason in decision["reasons"]:
            print(f"    - {reason}")


if __name__ == "__main__":
    main()
