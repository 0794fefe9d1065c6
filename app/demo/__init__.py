"""Demo: realistic demonstration data for every room at any scale (`flask demo generate`)."""
