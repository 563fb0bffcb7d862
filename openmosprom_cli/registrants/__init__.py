"""People registered in the VK mini-app: reading the export and importing it into the season."""
