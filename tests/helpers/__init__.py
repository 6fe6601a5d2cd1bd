"""Test helpers: generated fixtures and fakes at the boundaries (never of our own code)."""
