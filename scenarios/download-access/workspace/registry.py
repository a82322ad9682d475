"""The registry the handler is given: a root folder, an ACL and an audit list."""


class Registry:
    def __init__(self, root, acl):
        self.root = root
        self.acl = acl  # model name -> list of team names allowed to download it
        self.audit = []  # events appended by the handler, shipped to the SIEM hourly
