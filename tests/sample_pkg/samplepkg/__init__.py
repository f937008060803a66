"""samplepkg: a package with a C extension, for leakgate's install test and CI examples."""
