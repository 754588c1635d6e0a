"""RAM: resource allocation management.

Knows every technician, their capacity and what an hour of their time costs on any given day, to
dispatch work by skill, distance and margin.
"""

SERVICE_NAME = "ram"
