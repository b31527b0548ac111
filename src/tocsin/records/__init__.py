"""The record after the siren: incidents, claims, figures, history, statistics, reports."""
