from circuits.api.views.circuits import CircuitViewSet
from circuits.api.views.public import PublicCircuitView

__all__ = ["CircuitViewSet", "PublicCircuitView"]
