"""Badge images: one SVG per level, drawn here (no image files to keep in step), and the
same picture baked with a holder's signed credential, as Open Badges 3.0 describes
(an ``openbadges:credential`` element whose ``verify`` attribute is the compact JWS), so
that a wallet or a profile that takes images gets the proof with the picture."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"

# Each level's colours: ring, field, and the text on the field (contrast >= 4.5:1).
_COLOURS = {
    "foundation": ("#2f6f4f", "#e8f3ec", "#1d4430"),
    "professional": ("#1f4e8c", "#e6eef8", "#15345c"),
    "advanced": ("#6b2d86", "#f1e8f6", "#47205a"),
    "specialist": ("#8a3a12", "#f8ece5", "#5c270c"),
}
LEVELS = tuple(_COLOURS)


def badge_svg(level: str, title: str, *, credential_jws: str | None = None) -> str:
    """The level's badge. With ``credential_jws``, baked: the file carries the credential."""
    ring, field, ink = _COLOURS.get(level, _COLOURS["foundation"])
    label = escape(level.upper())
    name = escape(title)
    baked = ""
    namespace = ""
    if credential_jws is not None:
        namespace = f' xmlns:openbadges="{OB3_NAMESPACE}"'
        baked = f"\n  <openbadges:credential verify={quoteattr(credential_jws)}/>"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg"{namespace} viewBox="0 0 240 240" width="240" height="240" role="img" aria-labelledby="badge-title">{baked}
  <title id="badge-title">{name}</title>
  <circle cx="120" cy="120" r="112" fill="{ring}"/>
  <circle cx="120" cy="120" r="96" fill="{field}"/>
  <path d="M120 46 l52 20 v44 c0 36-24 62-52 74 c-28-12-52-38-52-74 v-44 z" fill="{ring}"/>
  <path d="M96 118 l16 16 l34 -36" fill="none" stroke="{field}" stroke-width="10" stroke-linecap="round" stroke-linejoin="round"/>
  <text x="120" y="206" text-anchor="middle" font-family="system-ui, sans-serif" font-size="17" font-weight="700" fill="{ink}">{label}</text>
  <text x="120" y="36" text-anchor="middle" font-family="system-ui, sans-serif" font-size="13" font-weight="600" fill="{field}">ASSAY MLOPS</text>
</svg>
"""
