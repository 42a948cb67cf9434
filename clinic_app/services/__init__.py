"""Services: what the screens and the CLI do to records, each change in one store transaction."""
