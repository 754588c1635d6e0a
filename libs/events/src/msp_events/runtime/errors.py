"""How a handler says that retrying will not help."""

from msp_events.codec.errors import Reason


class PermanentError(Exception):
    """The event is valid but the domain rejects it (e.g. an agreement for a client marked deleted).

    Raised by a handler, it sends the message straight to the consumer's dead-letter topic with this
    message as the reason, instead of retrying.
    """

    reason: Reason = Reason.HANDLER_REJECTED
    """The dead letter's ``x-dlt-reason``; a subclass for a rule of the runtime's own names its rule."""
