"""Server-rendered pages for patients."""
