"""Prefect at the edge: thin flows and tasks over loa/ and channels/."""
