"""After the tours: who came. The factories' returned rosters and check-in lists, read back into the season."""
