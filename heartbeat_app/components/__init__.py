"""Reusable pieces of the pages; none holds state of its own."""
