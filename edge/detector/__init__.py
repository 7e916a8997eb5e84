"""The generic numpy anomaly detector core (see detector.py for the pipeline).

One module per idea: robust.py (median/MAD), expectation.py (what healthy
reads), ewma.py and cusum.py (persistent shifts), novelty.py (T² on a
shrinkage correlation), sensor_checks.py (broken sensors), threshold.py (the
decision), result.py (explanations as heatwatch Findings).
"""

from edge.detector.detector import COMPONENTS, DetectorConfig, HealthyBehaviourDetector
from edge.detector.expectation import ExpectationModel, LinearExpectation, MedianBaseline
from edge.detector.result import BatchResult, DetectorResult
from edge.detector.sensor_checks import DROPOUT, JUMP, NOISE, RANGE, STUCK, SensorCheckConfig, SensorChecks
from edge.detector.threshold import AlarmDecision, ThresholdConfig

__all__ = [
    "COMPONENTS", "DetectorConfig", "HealthyBehaviourDetector", "ExpectationModel", "LinearExpectation",
    "MedianBaseline", "BatchResult", "DetectorResult", "SensorChecks", "SensorCheckConfig", "AlarmDecision",
    "ThresholdConfig", "RANGE", "STUCK", "JUMP", "DROPOUT", "NOISE",
]
