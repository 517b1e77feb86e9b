"""Not breakers: a door with open/closed states, an electrical model, an error counter."""


class Door:
    def __init__(self):
        self.state = "closed"

    def toggle(self):
        self.state = "open" if self.state == "closed" else "closed"


class ErrorBudget:
    def __init__(self):
        self.errors = 0

    def record(self):
        self.errors += 1


class CircuitDiagram:
    """Draws circuits; has nothing to do with failures."""

    def __init__(self, nodes):
        self.nodes = nodes
