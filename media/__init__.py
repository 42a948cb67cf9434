"""Live video consults on aiortc: call session, signaling client, sources, data channel, stats.

Nothing here imports Qt: the consult room in ``ui/`` drives :class:`media.session.CallSession`
and paints the frames it hands over. See ``media/README.md`` for the design and its limits.
"""
