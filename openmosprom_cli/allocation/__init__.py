"""Seats by priority: the rules, the solvers, stored runs, explanations and the audit."""
