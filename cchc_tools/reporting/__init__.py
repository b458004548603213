"""What readers get: views of the computed tables, narrative, charts, and the notebook runner."""
