"""Customer-service (SAC) cases: the decisions, the keeper (clocks, reminders) and the case cards."""
