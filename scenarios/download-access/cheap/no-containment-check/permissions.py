"""Who may download what, from the directory's view of a user.

`user` is what the SSO token resolves to: {"name", "teams", "roles"}. Team and role
names are exact identifiers (SECURITY.md): never matched as substrings.
"""

AUDITOR_ROLE = "{{ auditor_role }}"


def model_teams(acl, model):
    """The teams that may download ``model``, as one string for the log line."""
    return ",".join(acl.get(model, []))


def can_download(user, model, acl):
    """True when ``user`` may download ``model`` (see SECURITY.md)."""
    if model not in acl:
        return False
    if AUDITOR_ROLE in (user.get("roles") or []):
        return True
    allowed = acl[model]
    return any(team in allowed for team in user.get("teams") or [])
