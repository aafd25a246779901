"""Insights: the daily digest, the bad-buzz early warning and engagement learning (pure numbers from rows,
with the I/O at the edges), run on a schedule by `bot.insights.scheduler.InsightsLoop`."""
