"""The season folder: settings, the database, its lock and its schema."""
