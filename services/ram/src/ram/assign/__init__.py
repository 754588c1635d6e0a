"""Assignment solved with OR-Tools CP-SAT (the model of ``ram.domain.assignment``)."""
