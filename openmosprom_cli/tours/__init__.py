"""The season's tours: generating them from the candidates, listing, exporting and taking edits back."""
