"""sle-car: analysis package of the CD19 CAR T-cell pilot study in refractory SLE.

The package holds every rule of the analysis (reading and validating the study data,
simulating the synthetic cohort, scoring instruments, deriving the analysis datasets,
figures and tables); the numbered notebooks narrate and call it.
"""

__version__ = "0.1.0"


def load_study(*args, **kwargs):
    """The analysis datasets (see :func:`sle_car.derive.build.load_study`)."""
    from sle_car.derive.build import load_study as _load

    return _load(*args, **kwargs)


__all__ = ["__version__", "load_study"]
