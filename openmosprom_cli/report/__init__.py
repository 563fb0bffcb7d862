"""The season report: figures for the organizers and the Department, as report.xlsx with native charts."""
