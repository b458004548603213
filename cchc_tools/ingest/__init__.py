"""Reading appendices: one reader per file format, the aligner to the catalog, the tidy table."""
