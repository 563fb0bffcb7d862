"""What factories, organizers and visitors receive after an allocation."""
