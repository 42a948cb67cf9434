"""Clinical rules and terminologies with no Qt and no store, so central can run them too."""
