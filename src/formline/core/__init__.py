"""Pure core: numerical building blocks (ratings, market maths) over arrays and frames.

Nothing in this package touches a database, the network or the disk; it imports only numpy,
pandas, numba and the standard library.
"""
