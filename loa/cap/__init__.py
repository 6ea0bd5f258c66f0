"""CAP 1.2 (OASIS Common Alerting Protocol, ITU-T X.1303): building Loa's alerts and reading others'.

Pure code, no I/O: `build` turns a notice version into alert XML, `mapping` says how Loa's priority
and the disaster risk level of Decision 18/2021/QĐ-TTg become CAP urgency/severity/certainty,
`parse` reads an alert into a `CapAlert` (or says why it cannot), `feed` writes the Atom feed of
current alerts, `schema` validates against the bundled OASIS schema (cap12.xsd).
"""

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MIME = "application/cap+xml"
