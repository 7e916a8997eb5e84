"""The heat-pump detector: a pump's own healthy model, persistent shifts, prognosis.

Built on the canonical channels; the generic detector in heatwatch.edge.generic_detector works on
any time series, this package knows what a heat pump is.
"""
