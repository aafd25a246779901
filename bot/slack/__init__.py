"""Slack itself: the per-channel queue, the sender at Slack's pace, the review message kept in
sync, the services the listeners use."""
