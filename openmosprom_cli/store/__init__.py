"""The data layer: every SQL statement of the tool, one module per group of tables."""
