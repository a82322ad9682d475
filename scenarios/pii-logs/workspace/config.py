"""Service configuration. In production the key comes from the secret store."""

PSEUDONYM_KEY = b"dev-only-not-the-production-key-7f3a"
