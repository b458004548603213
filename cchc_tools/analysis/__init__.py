"""From the tidy table to judgement: derived indicators, consistency checks, selection of reports."""
