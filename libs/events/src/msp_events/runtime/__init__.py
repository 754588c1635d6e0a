"""The shared service runtime: transports, inbox/outbox store, consumer pump, relay, HTTP side.

A service declares handlers on a ``HandlerRouter`` and tables on its own SQLModel metadata; the
runtime delivers each event exactly once in effect, whichever transport carries it.
"""
