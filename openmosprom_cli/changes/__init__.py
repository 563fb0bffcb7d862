"""The season after publication: cancellations, manual moves, and tours that are cancelled, moved, cut or added.

Every change takes effect at once in the season's current seats
(:mod:`openmosprom_cli.allocation.current`) and is logged with its reason; the
next ``assign`` gives any freed seats by priority, and the next ``publish``
tells the visitors.
"""
