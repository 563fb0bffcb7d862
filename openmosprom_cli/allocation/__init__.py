"""Seats by priority. The rule, and the constraints written once, are in ``rules``.

``inputs`` (what an allocation sees) → ``priority`` (who chooses first) →
``reference`` (the rule, plainly) and ``solver`` (the fast one, over
``columns``) → ``result``. ``runs`` runs and stores one; ``stored`` reads a
stored run back (``snapshots``: its inputs, and what a privacy purge does to
them); ``explain`` and ``audit`` answer for it.
"""
