from support.emulator import emulator, emulator_process, seed_emulator  # noqa: F401  (fixtures)
from support.google_clients import vertexai_on_the_emulator  # noqa: F401  (fixture)
