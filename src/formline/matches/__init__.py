"""Two-sided matches (football first): sources, features and match models."""
