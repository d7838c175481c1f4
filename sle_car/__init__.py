"""sle-car: analysis package of the CD19 CAR T-cell pilot study in refractory SLE.

The package holds every rule of the analysis (reading and validating the study data,
simulating the synthetic cohort, scoring instruments, deriving the analysis datasets,
figures and tables); the numbered notebooks narrate and call it.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
