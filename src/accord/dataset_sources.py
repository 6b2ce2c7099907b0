"""Hosts the curated dataset may not cite: open wikis and copy or aggregator sites.

The dataset cites the primary page (a government, court, treasury, UN or vendor page) or a
reputable news report; a page that only republishes someone else's text, or a wiki anyone can
edit, is never the source of a fact. This deny-list holds the worst offenders met while curating;
``accord data check`` refuses any source (or damage estimate) whose host is one of them or a
subdomain of one. A host joins the list once no curated record cites it any more.
"""

from __future__ import annotations

#: Hosts refused as sources, each with why. A subdomain of a listed host is refused too.
DENIED_HOSTS: dict[str, str] = {
    # Open wikis and document dumps: anyone may edit or upload; cite what they cite instead.
    "wikipedia.org": "an open wiki",
    "grokipedia.com": "a generated encyclopedia",
    "scribd.com": "a document-upload site",
    "yumpu.com": "a document-upload site",
    "docplayer.net": "a document-upload site",
    # Copy and aggregator sites: they republish wire, newspaper or government text.
    "devdiscourse.com": "republishes wire copy",
    "gaeatimes.com": "republishes wire copy",
    "gojoanimes.top": "republishes news copy",
    "hotscup.com": "republishes news copy",
    "independentrecorder.com": "republishes newspaper copy",
    "menafn.com": "a press-release and wire aggregator",
    "newser.com": "summarises other outlets' reports",
    "redcensor.com": "republishes news copy",
    "sandiegocountynews.com": "republishes government press releases",
    "sofx.com": "a news aggregator",
    "tag24.com": "republishes wire copy",
    "thefederalnewswire.com": "republishes government press releases",
    "democracyinaction.us": "republishes official statements",
    "eurasiareview.com": "republishes other outlets' articles",
    "marketscreener.com": "a press-release and wire aggregator",
    "metacurity.com": "a newsletter summarising other outlets' reports",
    "columbianewsandviews.com": "republishes government press releases",
    "urdupoint.com": "republishes wire copy (Sputnik and others)",
    "republicworld.com": "rewrites wire and other outlets' reports",
}


def denied_host(host: str | None) -> str | None:
    """The deny-list entry that ``host`` falls under (itself or a parent domain), if any."""
    if not host:
        return None
    name = host.lower().rstrip(".")
    if name.startswith("www."):
        name = name[4:]
    parts = name.split(".")
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in DENIED_HOSTS:
            return candidate
    return None
