"""Storm mode: a flood of similar comments grouped into one summary, with bulk actions."""
