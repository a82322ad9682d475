"""Who may download what, from the directory's view of a user.

`user` is what the SSO token resolves to: {"name", "teams", "roles"}.
"""

AUDITOR_ROLE = "{{ auditor_role }}"


def model_teams(acl, model):
    """The teams that may download ``model``, as one string for the log line."""
    return ",".join(acl.get(model, []))


def can_download(user, model, acl):
    """True when ``user`` may download ``model`` (see SECURITY.md)."""
    if any("audit" in role for role in user.get("roles") or []):
        return True
    teams = model_teams(acl, model)
    return any(team in teams for team in user.get("teams") or [])
