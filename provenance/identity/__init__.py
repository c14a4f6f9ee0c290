"""Who signs and whom we trust: signing identities, the C2PA certificate profile, trust anchors.

Modules: :mod:`.keys` (identities: development, encrypted storage, loading),
:mod:`.csr` and :mod:`.importing` (the real-CA path), :mod:`.check` (``keys check``),
:mod:`.certprofile` (the profile's vocabulary and certificate helpers),
:mod:`.chaincheck` (the profile's rules), :mod:`.trust` (the user's trust anchors).

Nothing here is re-exported: ``cryptography`` is imported only by the module a
command needs (a plain ``verify`` loads none of it).
"""
