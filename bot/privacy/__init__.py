"""Privacy (#23): erase and export one person's data, redact what is older than the retention limit."""
