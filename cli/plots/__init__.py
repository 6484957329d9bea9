"""Figures (matplotlib, Agg backend): certified-accuracy curves of a comparison and of a
sweep."""
