"""Co-construction: parks in the park, smart manufacturing, R&D and design platforms."""
