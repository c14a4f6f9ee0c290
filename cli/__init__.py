"""The ``provenance`` command: a thin typer layer over the library (installed as provenance_cli)."""
