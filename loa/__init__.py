"""Loa: the domain core. No Prefect, paho or FastAPI import anywhere under loa/ except loa/app/."""

__version__ = "0.1.0"
