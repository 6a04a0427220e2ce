"""Authentication: passwords, JWT families with refresh rotation, enrollment codes, guards."""
