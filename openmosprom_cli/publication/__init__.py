"""Telling the visitors: publication, what each person hears, and what changed since they last heard."""
