"""openmosprom: season planning, seat allocation and rosters for «Открой#Моспром»."""

__version__ = "0.1.0"
