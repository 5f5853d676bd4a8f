"""Commands: filled in by its stage."""
