"""The win-probability model: any won/lost history in, a calibrated, explained model as JSON out.

One code path serves the ``msp-spo`` command line (a CRM export) and the service (its own
opportunities): ``table`` reads and types the rows, ``columns`` turns them into numbers,
``train`` fits with scikit-learn, ``model`` scores and explains from the JSON alone.
"""
