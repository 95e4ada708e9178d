"""Tests of the pure rules core: no database, no clock."""
