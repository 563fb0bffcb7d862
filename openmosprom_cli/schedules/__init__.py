"""Factories' availability: their schedule workbooks, the blank template, and importing them."""
