"""Earlier seasons: what each said about its registrants, per VK ID, for the priority policy."""
