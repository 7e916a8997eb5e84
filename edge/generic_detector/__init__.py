"""The generic numpy anomaly detector core (see detector.py for the pipeline).

One module per idea: robust.py (median/MAD), expectation.py (what healthy
reads), ewma.py and cusum.py (persistent shifts), novelty.py (T² on a
shrinkage correlation), sensor_checks.py (broken sensors), threshold.py (the
decision), result.py (explanations as heatwatch Findings).
"""

from heatwatch.edge.generic_detector.detector import COMPONENTS, DetectorConfig, HealthyBehaviourDetector
from heatwatch.edge.generic_detector.expectation import ExpectationModel, LinearExpectation, MedianBaseline
from heatwatch.edge.generic_detector.result import BatchResult, DetectorResult
from heatwatch.edge.generic_detector.sensor_checks import DROPOUT, JUMP, NOISE, RANGE, STUCK, SensorCheckConfig, SensorChecks
from heatwatch.edge.generic_detector.threshold import AlarmDecision, ThresholdConfig

__all__ = [
    "COMPONENTS", "DetectorConfig", "HealthyBehaviourDetector", "ExpectationModel", "LinearExpectation",
    "MedianBaseline", "BatchResult", "DetectorResult", "SensorChecks", "SensorCheckConfig", "AlarmDecision",
    "ThresholdConfig", "RANGE", "STUCK", "JUMP", "DROPOUT", "NOISE",
]
