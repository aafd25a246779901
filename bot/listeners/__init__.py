"""Slack listeners, one module per surface with its handlers at module level and `register(app)`;
app.py builds the Bolt app and registers them all.

Pipeline for every listener: drop what is not ours, read a typed request (requests.py), record the
intent in the database (in a thread: the database calls are blocking), ack, then tell Slack what
happened. Bolt's context carries the bot's services to the handlers (app.py's middleware).
"""
