"""Reads of the audit app."""
