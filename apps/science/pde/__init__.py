"""PDE surrogates: learn the solution operator of a PDE from our own verified solvers."""
