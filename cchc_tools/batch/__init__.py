"""How a batch runs: the task list, the notebook runner, warm kernels, incremental state and provenance."""
