"""Files in and out: safe paths, cell values, the one table reader and the one table writer."""
