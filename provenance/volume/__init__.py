"""Many files at once: isolated worker processes (:mod:`.batch`) and house policies (:mod:`.policy`)."""
