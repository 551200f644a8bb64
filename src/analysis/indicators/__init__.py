"""The readiness index, following the OECD/JRC *Handbook on Constructing Composite Indicators*
(2008): modelling choices, agency scores, province and group aggregates, the BCa bootstrap of
province scores and ranks, and the sensitivity of ranks to the modelling choices.
"""

__all__ = ["aggregates", "bootstrap", "choices", "clusterrobust", "estimates", "run", "scores", "sensitivity",
           "smallarea"]
