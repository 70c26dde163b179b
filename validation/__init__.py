"""Checks on incoming data: identifier checks, registry and report suites, audit flows."""
