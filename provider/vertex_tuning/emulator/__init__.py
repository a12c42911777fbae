"""A local emulator of the Vertex AI tuning API: a real HTTP server that Google's own clients accept.

Start it with `vertex-tuning emulator` (or `python -m vertex_tuning.emulator`), or in-process with
`vertex_tuning.emulator.server.EmulatorServer`; point clients at it with
`VERTEX_AI_EMULATOR_HOST=host:port`.
"""
