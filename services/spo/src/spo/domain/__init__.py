"""SPO's decisions: pure functions and value objects, no I/O and no framework imports."""
