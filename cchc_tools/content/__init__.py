"""What a reader gets: the document blocks, the narrative, the charts and the views (unit, comparison, trend)."""
