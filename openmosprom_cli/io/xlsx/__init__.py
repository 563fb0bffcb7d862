"""The safe, streaming reader of untrusted .xlsx workbooks."""
