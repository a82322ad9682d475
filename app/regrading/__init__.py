"""Regrading: fixing a delivered item's key fairly, with the impact shown first."""
