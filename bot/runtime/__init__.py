"""What every background loop of the bot shares: the polling loop, row leases, the retry policy."""
