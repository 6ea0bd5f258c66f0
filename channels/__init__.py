"""Channels: one module per public channel, each a class with the same small interface (base.Channel)."""
