"""Reading and writing the v1 JSON format."""
