"""Guides shipped inside the package, so a hint works after ``pip install`` from a wheel.

A user who installed the wheel has no ``docs/`` or ``keys/`` folder; hints point to
``provenance help TOPIC`` (and ``provenance check --example-policy``), which print
these files.  They are copies of the repository's docs, kept identical by a test
(tests/unit/test_guides.py).
"""

from __future__ import annotations

from importlib import resources

from provenance.errors import InputError

#: Topic → (file in this package, what it is).
TOPICS = {
    "policy": ("policy.example.toml", "an example house policy for `provenance check --policy`"),
    "keys": ("keys.md", "signing identities: keys init, csr, import, check, back-ups"),
    "recipe": ("recipe.md", "sign recipes: the TOML/JSON format for `sign --recipe`"),
}


def guide(topic: str) -> str:
    """The text of one guide; :class:`InputError` naming the topics for an unknown one."""
    entry = TOPICS.get(topic.strip().lower())
    if entry is None:
        raise InputError(
            f"There is no help topic '{topic}'.", hint=f"Topics: {', '.join(TOPICS)}."
        )
    return resources.files(__package__).joinpath(entry[0]).read_text(encoding="utf-8")
