"""provenance: honest, verifiable disclosure for photographs, built on C2PA Content Credentials.

The library never prints and never exits; the ``provenance`` command (``provenance_cli``)
is a thin layer over it.  Importing this package is cheap: heavy dependencies
(c2pa, numpy, Pillow) load only when a function needs them.
"""

__version__ = "0.1.0"
