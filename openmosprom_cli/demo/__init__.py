"""The demo season and the sample data it is built from."""
