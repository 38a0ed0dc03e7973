"""What every feature's workflow shares: the error a refused change raises."""


class WorkflowError(ValueError):
    """A change the rules refuse; the message says why, in French, for the person."""
