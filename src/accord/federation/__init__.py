"""Federation: subscribe to TAXII 2.1 collections (other Accord instances, or any TAXII 2.1
server) and pull their objects as records, incrementally, with their origin kept.

- :mod:`.sealing` keeps feed tokens unreadable at rest (sealed with ``ACCORD_FEED_KEY``);
- :mod:`.feeds` adds, lists and removes feeds and commits their cursors;
- :mod:`.origins` remembers where each pulled record came from;
- :mod:`.remote` reads one page of a remote collection with taxii2-client;
- :mod:`.decide` sorts a page's objects into create / update / unchanged / conflict / skip;
- :mod:`.apply` writes a page's creates and updates as the feed's user;
- :mod:`.pull` runs a pull, one transaction per page.

See docs/federation.md.
"""
