"""The one XML parser for anything a device or the network sends us.

No entity is resolved, no DTD loaded, nothing fetched from the network, no
huge tree allowed: an entity bomb or an external entity is inert, and a
flood is refused by the size caps before it gets here.
"""

from __future__ import annotations

from lxml import etree


def safe_parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not shared across threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        recover=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
