"""Routing of onsite visits: the problem format, the travel models, two solvers and the checker.

PyVRP plans whatever it can express; OR-Tools routing takes the plans PyVRP cannot (a lunch
break, stops locked at the head of a route, a fleet limit over differing technicians). Whichever
solved it, a plan is returned only with the verdict of the independent checker (``checker.py``).
"""
