"""Slack listeners grouped by surface, each module with `register(app, services)` (Bolt's layout);
app.py builds the Bolt app and registers them all.

Pipeline for every listener: ack first, drop what is not ours, record the intent in the
database (in a thread: the database calls are blocking), then tell Slack what happened.
"""
