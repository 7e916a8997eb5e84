"""The generic detector behind ``heatwatch detect``: any numeric multivariate series, no domain knowledge.

It learns healthy behaviour from the start of a series and scores how far
each row is from it (healthy_behaviour.py, the pipeline). The agent does not
use it: a heat pump is judged by heatwatch.edge.heatpump, which knows channels,
operating points and fault signatures. The two share the interface's shape
(time first, ``state()``/``load_state()``; base.py) and nothing else.

One module per idea: robust.py (median/MAD), expectation.py (what healthy
reads), wander.py (healthy drift since training), neff.py (effective training
rows), ewma.py and cusum.py (persistent shifts), novelty.py (T² on a shrinkage
correlation), sensor_flags.py (broken sensors, learned per feature),
threshold.py (the decision), result.py (explanations as heatwatch Findings).
"""

from heatwatch.edge.generic_detector.expectation import ExpectationModel, LinearExpectation, MedianBaseline
from heatwatch.edge.generic_detector.healthy_behaviour import (
    COMPONENTS,
    HealthyBehaviourConfig,
    HealthyBehaviourDetector,
)
from heatwatch.edge.generic_detector.result import BatchResult, HealthyBehaviourResult
from heatwatch.edge.generic_detector.sensor_flags import (
    DROPOUT,
    JUMP,
    NOISE,
    RANGE,
    STUCK,
    SensorFlagConfig,
    SensorFlags,
)
from heatwatch.edge.generic_detector.threshold import AlarmDecision, ThresholdConfig

__all__ = [
    "COMPONENTS", "HealthyBehaviourConfig", "HealthyBehaviourDetector", "ExpectationModel", "LinearExpectation",
    "MedianBaseline", "BatchResult", "HealthyBehaviourResult", "SensorFlags", "SensorFlagConfig", "AlarmDecision",
    "ThresholdConfig", "RANGE", "STUCK", "JUMP", "DROPOUT", "NOISE",
]
